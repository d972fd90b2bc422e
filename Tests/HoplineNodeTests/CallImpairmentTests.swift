import Foundation
import XCTest

/// A call through `hopline impair` (seeded loss, delay and jitter both ways) standing between caller and
/// callee like a bad network or a port forward: the handshake and signaling get through by retransmission,
/// the audio survives, and the status reports the delay and the loss.
final class CallImpairmentTests: CLITestCase {
    /// Thresholds: with 5% loss, 30 ms delay and 5 ms jitter each way (seed 7) `CallTestSupport.match`
    /// measured 0.85 (FEC and concealment cover most losses; the clean path gives 0.88), so 0.6 still fails
    /// on a broken call. The RTT samples measured 52-61 ms: 60 ms of proxy delay plus or minus the jitter
    /// (sigma 5 ms each way), so their mean must be over 50 ms (RTCP's too); the loss column must show the
    /// losses, and the peer's reports ours.
    func testCallThroughALossyDelayingProxyStillCarriesAudioAndReportsIt() throws {
        let sample = TestSupport.demoSample
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--play", sample,
            "--record", path("l.wav"), "--no-status",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
        let proxy = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "impair", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(port)",
            "--impair", "loss=5%,delay=30ms,jitter=5ms,seed=7", "--duration", "30",
        ])
        defer { proxy.kill(); _ = proxy.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("listening on 127.0.0.1:", inFile: proxy.stdoutPath, timeout: 30))
        let proxyText = try String(contentsOfFile: proxy.stdoutPath, encoding: .utf8)
        let proxyPort = try XCTUnwrap(proxyText.range(of: "listening on 127.0.0.1:").flatMap {
            Int(proxyText[$0.upperBound...].prefix { $0.isNumber })
        })

        let beforeCall = Self.monotonicSeconds()
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(proxyPort)", "--identity", path("c.id"), "--play", sample, "--record", path("c.wav"),
            "--duration", "5", "--stats", path("c.jsonl"), "--no-status",
        ])
        let status = caller.wait(timeout: 40)
        let afterCall = Self.monotonicSeconds()
        let stderr = caller.collectOutput().stderr
        XCTAssertEqual(status, 0, stderr)
        let lines = try String(contentsOfFile: path("c.jsonl"), encoding: .utf8).split(whereSeparator: \.isNewline)
        let samples = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let rtts = samples.compactMap { $0["rttMs"] as? Double }
        let losses = samples.compactMap { $0["lossPercent"] as? Double }
        XCTAssertFalse(rtts.isEmpty)
        XCTAssertGreaterThan(rtts.reduce(0, +) / Double(max(rtts.count, 1)), 50, "rtt \(rtts)")
        XCTAssertGreaterThan(losses.reduce(0, +), 0, "loss \(losses)")
        // RTCP in the call (SRTCP through the proxy): the same round trip from LSR/DLSR, the callee's view of
        // our loss, the encoder planning FEC for it, and a mouth-to-ear estimate above the 30 ms one way.
        let rtcpRTTs = samples.compactMap { $0["rtcpRttMs"] as? Double }
        XCTAssertFalse(rtcpRTTs.isEmpty)
        XCTAssertGreaterThan(rtcpRTTs.reduce(0, +) / Double(max(rtcpRTTs.count, 1)), 50, "rtcp rtt \(rtcpRTTs)")
        XCTAssertGreaterThan(samples.compactMap { $0["peerLossPercent"] as? Double }.reduce(0, +), 0)
        XCTAssertGreaterThanOrEqual(samples.last { $0["state"] as? String == "active" }?["plannedLossPercent"] as? Int ?? 0, 1)
        XCTAssertGreaterThan(samples.compactMap { $0["mouthToEarMs"] as? Double }.last ?? 0, 60)
        let counters = samples.last?["counters"] as? [String: Any]
        XCTAssertGreaterThan(counters?["srtcpAccepted"] as? Int ?? 0, 4)
        XCTAssertEqual(counters?["srtcpForged"] as? Int, 0)
        // The media timelines on the host's CLOCK_MONOTONIC (what make bench-quality measures mouth-to-ear
        // with): inside the call's lifetime as this process sees it; the initiator sends from its session's
        // start and plays its first chunk one playout period (10 ms) later.
        let active = samples.last { $0["state"] as? String == "active" }
        let sendStart = try XCTUnwrap(active?["sendStartMonotonicS"] as? Double)
        let playoutStart = try XCTUnwrap(active?["playoutStartMonotonicS"] as? Double)
        XCTAssertGreaterThan(sendStart, beforeCall)
        XCTAssertLessThan(sendStart, afterCall)
        XCTAssertEqual(playoutStart - sendStart, 0.010, accuracy: 1e-6)
        let result = try CallTestSupport.match(referencePath: sample, recordedPath: path("c.wav"), seconds: 3)
        XCTAssertGreaterThan(result.correlation, 0.6, "the caller heard too little of the callee")
    }

    /// This process's CLOCK_MONOTONIC, seconds (the clock the nodes' timelines are on).
    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
