import Foundation
import XCTest

/// A real call whose callee plays what arrives on a live speaker (a headless PulseAudio null sink): its
/// `--stats` lines must show the sound card's clock measured against the node's (`playbackDriftPpm`) and the
/// speaker's share of the playout delay (`speakerDelayMs`) without a trend. HOPLINE_LIVE_CALL_TRACE=1 prints
/// the per-second delay.
///
/// The call lasts HOPLINE_LIVE_CALL_SECONDS (default 40 s, to keep `swift test` short); `make live-drift`
/// runs it for 5 minutes.
final class LiveCallDriftTests: XCTestCase {
    func testTheSpeakersDelayStaysFlatThroughALiveCall() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: TestSupport.hoplineBinary),
            "build the CLI first: swift build --build-tests")
        let seconds = Double(ProcessInfo.processInfo.environment["HOPLINE_LIVE_CALL_SECONDS"] ?? "") ?? 40
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let server = try HeadlessAudioServer()
        defer { server.stop() }

        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--no-microphone",
            "--stats", path("b.jsonl"), "--no-status",
        ], environment: server.environment)
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("a.id"), "--play", TestSupport.demoSample, "--no-speaker",
            "--duration", "\(Int(seconds))", "--no-status",
        ], environment: server.environment)
        let status = caller.wait(timeout: seconds + 30)
        let callerOutput = caller.collectOutput()
        XCTAssertEqual(status, 0, callerOutput.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("\"state\":\"listening\"", inFile: path("b.jsonl"), timeout: 10))

        struct Line: Decodable {
            var time: Double
            var state: String
            var speakerDelayMs: Double?
            var playbackDriftPpm: Double?
            var speakerResyncs: Int?
        }
        let lines = try String(contentsOfFile: path("b.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        let active = lines.filter { $0.state == "active" && $0.speakerDelayMs != nil }
        XCTAssertGreaterThanOrEqual(Double(active.count), seconds - 5, "one stats line a second while active")
        guard let first = active.first else { return }
        // From 10 s in: the speaker has settled and the drift estimate has 8 s of callbacks.
        let settled = active.filter { $0.time >= first.time + 10 }
        let third = max(1, settled.count / 3)
        func mean(_ part: ArraySlice<Line>) -> Double { part.compactMap(\.speakerDelayMs).reduce(0, +) / Double(part.count) }
        let early = mean(settled.prefix(third)), late = mean(settled.suffix(third))
        let delays = settled.compactMap(\.speakerDelayMs)
        let drift = settled.last?.playbackDriftPpm
        print(
            "live call, \(Int(seconds)) s: speaker delay \(String(format: "%.1f", early)) ms in the first third, "
                + "\(String(format: "%.1f", late)) ms in the last (range \(String(format: "%.1f", delays.min() ?? 0))"
                + "-\(String(format: "%.1f", delays.max() ?? 0)) ms); playback clock \(drift.map { String(format: "%.1f", $0) } ?? "-") ppm; "
                + "resyncs \(settled.last?.speakerResyncs ?? -1)")
        if ProcessInfo.processInfo.environment["HOPLINE_LIVE_CALL_TRACE"] != nil {
            print("speaker delay per second (ms)/resyncs: " + active.map { String(format: "%.0f/%d", $0.speakerDelayMs ?? 0, $0.speakerResyncs ?? 0) }.joined(separator: " "))
        }
        // Measured on this shared 2-core machine under load: the device stalls for 30-100 ms now and then; the
        // servo takes small excesses back over ~10 s and a resync (at most one per 10 s) removes 80 ms or more,
        // so single seconds stray (here up to 130 ms for up to 10 s), but the medians must show no trend
        // (uncorrected drift grows the delay without bound).
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let earlyMedian = median(settled.prefix(third).compactMap(\.speakerDelayMs))
        let lateMedian = median(settled.suffix(third).compactMap(\.speakerDelayMs))
        XCTAssertLessThan(lateMedian - earlyMedian, 20, "the speaker's delay grew (medians \(earlyMedian) -> \(lateMedian) ms)")
        XCTAssertLessThan(abs(lateMedian - earlyMedian), 40, "the speaker's delay moved")
        // The null sink runs on the same monotonic clock as the node: the measured drift is near zero, within
        // what the callbacks' bursts (PulseAudio through ALSA takes tens of ms at a time) and the sink's stalls
        // under load leave in the fit. Measured here: 20-120 ppm after 40 s in most runs, 335 once in a
        // fresh-clone CI run on an otherwise idle machine; after 5 minutes -0.1 ppm when quiet and 133 ppm
        // while a benchmark loaded the machine. The bounds catch an estimator that is wrong by a wide margin
        // (a rate mix-up is thousands of ppm); the exact +-300 ppm behaviour is DriftCorrectionTests' job.
        XCTAssertLessThan(abs(try XCTUnwrap(drift, "no drift measured")), seconds >= 300 ? 250 : 1_000)
        // At most one resync per 10 s (the pipeline's limit), for a stall of 80 ms or more.
        XCTAssertLessThanOrEqual(
            (settled.last?.speakerResyncs ?? 0) - (settled.first?.speakerResyncs ?? 0), Int(seconds / 10), "resyncs")
    }
}
