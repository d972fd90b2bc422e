import Foundation
import HoplineAudio
import XCTest

/// Echo cancellation on the live PortAudio path: a headless PulseAudio null sink is the speaker and its
/// monitor the microphone (unity gain, so the microphone hears the speaker's full level: a harsh echo path),
/// driven in-process through the call's own pipelines (`PlaybackPipeline` -> speaker ring, microphone ring ->
/// `CapturePipeline`, the played ring as the echo reference) with one `VoiceProcessor` (speexdsp's echo
/// canceller on a measured alignment), paced by the monotonic clock as a call's playout is.
///
/// Far-end speech goes to the speaker; near-end speech (double talk) is played into the same null sink by
/// `paplay`, so the microphone hears both at the same level (0 dB echo return loss). PESQ-WB needs Python's
/// `pesq`: the double-talk test scores it when HOPLINE_PESQ_PYTHON names a Python that has it (`make
/// bench-echo` sets it to the bench venv) and fails if that Python lacks it, or if the score is below
/// HOPLINE_PESQ_MINIMUM (default 3.0, the issue's target; measured 2.1-3.0 here, README "Live audio devices").
/// Without the variable it checks the near-end speech with an objective measure in Swift (per-segment
/// correlation against the source), so `swift test` needs no Python.
///
/// For tuning: HOPLINE_AEC_FILTER_MS, HOPLINE_AEC_LEAD_MS and HOPLINE_AEC_RES_DB override the canceller's
/// `EchoCancellerTuning`; HOPLINE_DT_FAR_SILENT=1 silences the far end of the double-talk test (the near end
/// alone through the same path: the ceiling of its PESQ). Each result line prints the canceller's metrics and
/// the stream's statistics: capture overruns or many playback underruns mean the machine stalled the sound
/// server, which moves the echo in time.
final class EchoCancellationTests: XCTestCase {
    private static let rate = 48_000

    private func speech(_ name: String) throws -> [Float] {
        let path = TestSupport.sharedSpeech.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is missing (the team's shared speech samples)")
        }
        return try Resampler.resample(WAVReader.read(path: path).audio, to: Self.rate).samples
    }

    /// The far end talks, the near end is silent: after 2 s of convergence the echo must be 25 dB down.
    func testTheSpeakersEchoIsCancelledByAtLeast25dB() throws {
        let far = try speech("s01_48k.wav")
        let result = try runLiveLoop(echoCancellation: true, far: far, nearEndPath: nil, measureFrom: 2)
        let erle = try XCTUnwrap(result.capture.echoReturnLossEnhancementDb)
        let micLevel = 10 * log10(result.capture.energyBeforeProcessing / Double(max(1, result.measuredSamples)))
        print(
            "echo cancellation: ERLE \(String(format: "%.1f", erle)) dB after 2 s (microphone at "
                + "\(String(format: "%.1f", micLevel)) dBFS); canceller: \(String(describing: result.metrics)); "
                + "echo delay told \(String(format: "%.1f", result.capture.echoDelaySeconds * 1_000)) ms; "
                + "render samples \(result.renderSamples), stream \(result.stream); "
                + "processor errors \(result.errors)")
        XCTAssertGreaterThan(micLevel, -40, "the microphone did not hear the speaker")
        XCTAssertGreaterThanOrEqual(erle, 25)
        XCTAssertEqual(result.errors, 0)
    }

    /// The same without echo cancellation: the measure itself sees the echo (about 0 dB), so the test above
    /// cannot pass by accident.
    func testWithoutEchoCancellationTheEchoIsNotReduced() throws {
        let far = try speech("s01_48k.wav")
        let result = try runLiveLoop(echoCancellation: false, far: Array(far.prefix(4 * Self.rate)), nearEndPath: nil, measureFrom: 1)
        XCTAssertLessThan(abs(result.capture.echoReturnLossEnhancementDb ?? 0), 3)
    }

    /// Far end and near end talk at once: the near end's speech must reach the far end intact.
    func testDoubleTalkKeepsTheNearEndSpeech() throws {
        try doubleTalk(echoPathDb: nil)
    }

    /// The same with a realistic echo path: the speaker's stream turned down 10 dB in the sound server (the
    /// near end stays at full level), for the README's extra row.
    func testDoubleTalkWithAnEchoPathOfMinus10dB() throws {
        try doubleTalk(echoPathDb: -10)
    }

    private func doubleTalk(echoPathDb: Double?) throws {
        var far = try speech("s01_48k.wav") + speech("s03_48k.wav")
        if ProcessInfo.processInfo.environment["HOPLINE_DT_FAR_SILENT"] != nil { far = far.map { _ in 0 } }
        let nearPath = TestSupport.sharedSpeech.appendingPathComponent("s02_48k.wav").path
        let near = try speech("s02_48k.wav")
        let result = try runLiveLoop(
            echoCancellation: true, far: far, nearEndPath: nearPath, measureFrom: 2, echoPathDb: echoPathDb)
        let output = Array(result.output[result.nearStartSample...])
        let alignment = try XCTUnwrap(AudioAlignment(reference: near, recording: output, maxLagSeconds: 1))
        let good = alignment.segmentCorrelations.filter { $0 > 0.9 }.count
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let degraded = directory.appendingPathComponent("near-end-after-aec.wav").path
        try WAVWriter.write(PCMAudio(sampleRate: Self.rate, samples: output), toPath: degraded)
        print("double talk: canceller \(String(describing: result.metrics)), render samples \(result.renderSamples), stream \(result.stream)")
        print(
            "double talk: near-end correlation \(String(format: "%.3f", alignment.correlation)), \(good) of "
                + "\(alignment.segmentCorrelations.count) voiced segments above 0.9, median "
                + "\(String(format: "%.3f", alignment.segmentCorrelations.sorted()[alignment.segmentCorrelations.count / 2]))")
        if let python = ProcessInfo.processInfo.environment["HOPLINE_PESQ_PYTHON"] {
            let score = try pesqWideband(python: python, reference: nearPath, degraded: degraded)
            let micLevel = 10 * log10(result.capture.energyBeforeProcessing / Double(max(1, result.measuredSamples)))
            print(
                "double talk: PESQ-WB \(score) (near-end source vs what the far end receives; echo path "
                    + "\(echoPathDb ?? 0) dB, microphone at \(String(format: "%.1f", micLevel)) dBFS)")
            let minimum = Double(ProcessInfo.processInfo.environment["HOPLINE_PESQ_MINIMUM"] ?? "") ?? 3.0
            XCTAssertGreaterThanOrEqual(score, minimum, "PESQ-WB of the near end in double talk")
        }
        // Measured: the median voiced 100 ms segment correlates 0.76-0.81 with the near-end source (whole-clip
        // correlation 0.1-0.45: the canceller attenuates parts of the near end while the far end talks).
        // Silence or a garbled near end gives well below 0.5.
        let median = alignment.segmentCorrelations.sorted()[alignment.segmentCorrelations.count / 2]
        XCTAssertGreaterThanOrEqual(alignment.segmentCorrelations.count, 30, "7 s of near-end speech")
        XCTAssertGreaterThanOrEqual(median, 0.6, "the near end's speech did not reach the far end")
    }

    private struct LoopResult {
        var output: [Float]
        var capture: CaptureStatistics
        var metrics: EchoMetrics?
        var errors: Int
        var measuredSamples: Int
        var nearStartSample: Int
        var renderSamples: Int
        var stream: String
    }

    /// Plays `far` through the speaker pipeline in 10 ms chunks on the monotonic clock (as a call's playout
    /// does) and collects the capture pipeline's output, until `far` is done and 0.5 s more. Energy sums start
    /// `measureFrom` seconds in; the near-end file (if any) starts playing then as well.
    private func runLiveLoop(
        echoCancellation: Bool, far: [Float], nearEndPath: String?, measureFrom: Double, echoPathDb: Double? = nil
    ) throws -> LoopResult {
        let server = try HeadlessAudioServer()
        defer { server.stop() }
        let environment = ProcessEnvironment.apply(server.environment)
        defer { environment.restore() }

        let stream = try LiveAudioStream(configuration: LiveAudioConfiguration(ringCapacity: 16_384))
        defer { stream.close() }
        let env = ProcessInfo.processInfo.environment
        var tuning = EchoCancellerTuning()
        if let value = env["HOPLINE_AEC_FILTER_MS"].flatMap(Double.init) { tuning.filterSeconds = value / 1_000 }
        if let value = env["HOPLINE_AEC_LEAD_MS"].flatMap(Double.init) { tuning.leadSeconds = value / 1_000 }
        if let value = env["HOPLINE_AEC_RES_DB"].flatMap(Int.init) { tuning.residualSuppressionDb = value == 0 ? nil : value }
        if let value = env["HOPLINE_AEC_RES_ACTIVE_DB"].flatMap(Int.init) { tuning.residualSuppressionActiveDb = value }
        let processor = try VoiceProcessor(
            options: VoiceProcessingOptions(echoCancellation: echoCancellation), echoCanceller: tuning)
        let playback = try PlaybackPipeline(device: stream, processor: echoCancellation ? processor : nil)
        let capture = try CapturePipeline(device: stream, processor: processor)
        try stream.start()
        // A fresh null sink can take up to 2 s to start calling back (see LiveAudioTests).
        let flowing = Date().addingTimeInterval(5)
        while stream.statistics.framesCaptured < 4_800 && Date() < flowing { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertGreaterThanOrEqual(stream.statistics.framesCaptured, 4_800, "the input callback did not run")
        stream.captureRing.discardAvailable()
        if let echoPathDb {
            // Our stream is the sink's only input so far (paplay starts later).
            let list = try ChildProcess.spawn("/usr/bin/pactl", ["list", "short", "sink-inputs"], environment: server.environment)
            XCTAssertEqual(list.wait(timeout: 10), 0)
            let inputs = list.collectOutput().stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").first }
            let index = try XCTUnwrap(inputs.first, "no sink input for the speaker stream")
            XCTAssertEqual(inputs.count, 1)
            let volume = try ChildProcess.spawn(
                "/usr/bin/pactl", ["set-sink-input-volume", String(index), "\(Int(echoPathDb))dB"],
                environment: server.environment)
            XCTAssertEqual(volume.wait(timeout: 10), 0)
            _ = volume.collectOutput()
        }

        var output: [Float] = []
        output.reserveCapacity(far.count + Self.rate * 2)
        var chunk = [Float](repeating: 0, count: 480)
        var frame = [Float](repeating: 0, count: 480)
        let total = far.count / 480 + 50
        let start = ProcessInfo.processInfo.systemUptime
        var played = 0
        var measuring = false
        var measuredStart = 0
        var nearStart = 0
        var nearPlayer: ChildProcess?
        defer { nearPlayer?.kill(); _ = nearPlayer?.collectOutput() }
        while played < total {
            let due = min(total, Int((ProcessInfo.processInfo.systemUptime - start) / 0.01) + 1)
            while played < due {
                let offset = played * 480
                for index in 0..<480 { chunk[index] = offset + index < far.count ? far[offset + index] : 0 }
                chunk.withUnsafeBufferPointer { playback.play($0) }
                played += 1
            }
            while frame.withUnsafeMutableBufferPointer({ capture.nextFrame(into: $0) }) { output += frame }
            if !measuring && Double(played) * 0.01 >= measureFrom {
                measuring = true
                capture.resetEnergy()
                measuredStart = capture.statistics.samplesProduced
                nearStart = output.count
                if let nearEndPath { nearPlayer = try ChildProcess.spawn("/usr/bin/paplay", [nearEndPath], environment: server.environment) }
            }
            Thread.sleep(forTimeInterval: 0.003)
        }
        try stream.stop()
        return LoopResult(
            output: output, capture: capture.statistics, metrics: processor.echoMetrics, errors: processor.errors,
            measuredSamples: capture.statistics.samplesProduced - measuredStart, nearStartSample: nearStart,
            renderSamples: processor.renderSamples, stream: "\(stream.statistics)")
    }

    /// bench/pesq_score.py's median PESQ-WB of `degraded` against `reference`.
    private func pesqWideband(python: String, reference: String, degraded: String) throws -> Double {
        let script = TestSupport.packageRoot.appendingPathComponent("bench/pesq_score.py").path
        let child = try ChildProcess.spawn(python, [script, reference, degraded])
        let status = child.wait(timeout: 120)
        let output = child.collectOutput()
        guard status == 0 else {
            XCTFail("HOPLINE_PESQ_PYTHON=\(python) cannot score PESQ (status \(String(describing: status))): \(output.stderr)")
            return 0
        }
        let json = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(json?["median"] as? Double, "no median in \(output.stdout)")
    }
}
