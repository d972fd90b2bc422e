import Foundation
import HoplineAudio
@testable import HoplineNode
import XCTest

/// Nodes on a machine without sound: `listen` and `call` check the devices a call needs before they dial or
/// answer, and `--no-microphone` / `--no-speaker` let a file-only node work headless.
final class HeadlessCallTests: CLITestCase {
    /// What a machine without sound looks like: no PULSE_SERVER, the system ALSA configuration, and a HOME and
    /// runtime directory with no PulseAudio socket. Skips when the machine has devices anyway.
    private func soundlessEnvironment() throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PULSE_SERVER"] = nil
        environment["ALSA_CONFIG_PATH"] = nil
        environment["HOME"] = directory.path
        environment["XDG_RUNTIME_DIR"] = directory.path
        let probe = try TestSupport.runHopline(["devices"], environment: environment)
        try XCTSkipIf(probe.status == 0, "this machine has sound devices: \(probe.stdout)")
        return environment
    }

    func testListenWithoutDevicesRefusesAtStartNamingTheMissingDevicesAndTheFlags() throws {
        let environment = try soundlessEnvironment()
        let result = try TestSupport.runHopline(
            ["listen", "--identity", path("l.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--no-status"],
            environment: environment, timeout: 30)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertFalse(result.stderr.contains("listening on"), "refused before listening: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("no microphone: no audio devices found"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--play FILE.wav, or silence with --no-microphone"), result.stderr)
        XCTAssertTrue(result.stderr.contains("no speaker: no audio devices found"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--record FILE.wav, or drop what arrives with --no-speaker"), result.stderr)

        // With a file only one way, only the other device is named.
        let half = try TestSupport.runHopline(
            ["call", "127.0.0.1:9", "--identity", path("c.id"), "--play", TestSupport.demoSample, "--no-status"],
            environment: environment, timeout: 30)
        XCTAssertEqual(half.status, 1, half.stderr)
        XCTAssertTrue(half.stderr.contains("no speaker:"), half.stderr)
        XCTAssertFalse(half.stderr.contains("no microphone"), half.stderr)
        XCTAssertFalse(half.stderr.contains("no node answered"), "refused before dialling: \(half.stderr)")
    }

    /// `call --play` alone (no speaker) and `listen --record` alone (no microphone) on a headless machine:
    /// the call connects, the caller's file is heard in the listener's recording (threshold as in
    /// CallNamespaceTests), and the caller's side counts what arrived though it played nothing.
    func testPlayOnlyAndRecordOnlyNodesTalkWithoutDevices() throws {
        let environment = try soundlessEnvironment()
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--no-microphone",
            "--record", path("l.wav"), "--no-status",
        ], environment: environment)
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener), "the listener did not start")
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
        let caller = try TestSupport.runHopline([
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("c.id"), "--play", TestSupport.demoSample,
            "--no-speaker", "--duration", "4", "--stats", path("c.jsonl"), "--no-status",
        ], environment: environment, timeout: 30)
        XCTAssertEqual(caller.status, 0, caller.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: listener.stderrPath, timeout: 10))
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("l.wav"), seconds: 3)
        XCTAssertGreaterThan(result.correlation, 0.7)
        let stats = CallTestSupport.lastStats(path("c.jsonl"))
        XCTAssertGreaterThan(stats?["packetsReceived"] as? Int ?? 0, 100, "the listener sent silence all the same")
    }

    func testThePlanTakesFilesFirstThenTheNoDeviceFlagsThenTheDevices() {
        var settings = NodeSettings(bind: try! .init(parsing: "127.0.0.1:0"))
        XCTAssertEqual(CallAudioPlan(settings: settings), CallAudioPlan(source: .microphone(nil), sink: .speaker(nil)))
        XCTAssertEqual(CallAudioPlan(settings: settings).liveConfiguration?.directions, [.input, .output])
        settings.noMicrophone = true
        settings.outputDevice = "2"
        XCTAssertEqual(CallAudioPlan(settings: settings), CallAudioPlan(source: .silence, sink: .speaker("2")))
        XCTAssertEqual(CallAudioPlan(settings: settings).liveConfiguration?.directions, [.output])
        XCTAssertEqual(CallAudioPlan(settings: settings).liveConfiguration?.output, .index(2))
        settings.playPath = "a.wav"
        settings.recordPath = "b.wav"
        XCTAssertEqual(CallAudioPlan(settings: settings), CallAudioPlan(source: .file("a.wav"), sink: .recording("b.wav")))
        XCTAssertNil(CallAudioPlan(settings: settings).liveConfiguration, "files both ways: no device is opened")
        XCTAssertNoThrow(try CallAudioPlan(settings: settings).checkDevices())
    }
}
