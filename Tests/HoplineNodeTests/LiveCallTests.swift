import Foundation
import HoplineAudio
import XCTest

/// A call over the live PortAudio path: each side has its own headless PulseAudio daemon (a null-sink
/// speaker whose monitor is the microphone, see shared/TESTING.md). A WAV file is played into the caller's
/// microphone; the callee's speaker output is recorded from its sink monitor with parecord.
final class LiveCallTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: TestSupport.hoplineBinary),
            "build the CLI first: swift build --build-tests")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/paplay")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/parecord"), "pulseaudio-utils is not installed")
        directory = try TestSupport.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Threshold: the played speech and what the callee's speaker gave out scored 0.83-0.95 with
    /// `CallTestSupport.match` in measurements here (the low end with a release build compiling alongside):
    /// Opus plus PulseAudio's resampling; silence or a broken path
    /// gives near 0. 0.7 allows for an underrun or two on a loaded machine.
    func testSpeechIntoTheCallersMicrophoneComesOutOfTheCalleesSpeaker() throws {
        let serverA = try HeadlessAudioServer()
        defer { serverA.stop() }
        let serverB = try HeadlessAudioServer()
        defer { serverB.stop() }
        try WAVWriter.write(PCMAudio(sampleRate: 16_000, samples: [Float](repeating: 0, count: 16_000)), toPath: path("silence.wav"))

        let heard = try ChildProcess.spawn(
            "/usr/bin/parecord", ["--device=vsink.monitor", "--file-format=wav", "--rate=48000", "--channels=1", path("heard.wav")],
            environment: serverB.environment)
        defer { heard.kill(); _ = heard.collectOutput() }
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--play", path("silence.wav"),
            "--no-status",
        ], environment: serverB.environment)
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })

        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("a.id"), "--record", path("a.wav"), "--duration", "6",
            "--no-status",
        ], environment: serverA.environment)
        XCTAssertTrue(CallTestSupport.waitForText("connected to", inFile: caller.stderrPath, timeout: 10))
        XCTAssertTrue(CallTestSupport.waitForText("audio: microphone", inFile: caller.stderrPath, timeout: 5))
        let speak = try ChildProcess.spawn("/usr/bin/paplay", [TestSupport.demoSample], environment: serverA.environment)
        XCTAssertEqual(speak.wait(timeout: 15), 0)
        _ = speak.collectOutput()
        let status = caller.wait(timeout: 20)
        let callerOutput = caller.collectOutput()
        XCTAssertEqual(status, 0, callerOutput.stderr)
        heard.kill()
        let listenerOutput = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        XCTAssertTrue(listenerOutput.contains("audio: speaker"), "only the device the call needs: \(listenerOutput)")

        let result = try CallTestSupport.match(
            referencePath: TestSupport.demoSample, recordedPath: path("heard.wav"), skipSeconds: 0.5, seconds: 3, maxLagSeconds: 4)
        XCTAssertGreaterThan(result.correlation, 0.7, "the callee's speaker did not give out the caller's speech")
    }
}
