import Foundation
import HoplineAudio
import XCTest

/// Echo through real calls: the callee answers on a live microphone and speaker (a headless PulseAudio null
/// sink whose monitor is the microphone, so the speaker loops straight back into it at full level); the
/// caller plays speech and records what comes back. With echo cancellation (the default) the caller must not
/// hear itself; with `--no-echo-cancel` it does, at nearly its own level (which shows the path is there).
final class LiveCallEchoTests: XCTestCase {
    func testTheCallerDoesNotHearItselfBackFromTheCalleesSpeaker() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: TestSupport.hoplineBinary),
            "build the CLI first: swift build --build-tests")
        let speech = TestSupport.sharedSpeech.appendingPathComponent("s01_48k.wav").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: speech), "\(speech) is missing")
        let cancelled = try echoLevel(extraListenerFlags: [], speech: speech)
        let uncancelled = try echoLevel(extraListenerFlags: ["--no-echo-cancel"], speech: speech)
        print(
            "echo heard back by the caller, 3-7 s into the call: \(String(format: "%.1f", cancelled)) dBFS with echo "
                + "cancellation, \(String(format: "%.1f", uncancelled)) dBFS without")
        XCTAssertGreaterThan(uncancelled, -40, "without cancellation the caller should hear itself (the loop is there)")
        XCTAssertGreaterThanOrEqual(uncancelled - cancelled, 25, "echo cancellation through a call")
    }

    /// RMS level (dBFS) of what the caller records 3-7 s into a call whose callee answers live.
    private func echoLevel(extraListenerFlags: [String], speech: String) throws -> Double {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let server = try HeadlessAudioServer()
        defer { server.stop() }
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--no-status",
        ] + extraListenerFlags, environment: server.environment)
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("a.id"), "--play", speech, "--record", path("a.wav"),
            "--duration", "8", "--no-status",
        ], environment: server.environment)
        let status = caller.wait(timeout: 30)
        let output = caller.collectOutput()
        XCTAssertEqual(status, 0, output.stderr)
        let listenerText = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let expected = extraListenerFlags.isEmpty ? "(echo cancellation)" : "(no voice processing)"
        XCTAssertTrue(listenerText.contains(expected), "the callee's audio line: \(listenerText)")
        let recorded = try WAVReader.read(path: path("a.wav")).audio
        let rate = recorded.sampleRate
        let window = recorded.samples[min(recorded.samples.count, 3 * rate)..<min(recorded.samples.count, 7 * rate)]
        XCTAssertGreaterThan(window.count, 3 * rate, "the recording is too short")
        let power = window.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, window.count))
        return 10 * log10(max(power, 1e-12))
    }
}
