import Foundation
@testable import HoplineNode
import XCTest

/// Rekeying for real: two `hopline` processes on loopback, configured to rekey every second, hold a 6 s call;
/// both `--stats` show the key epochs moving, nothing is refused, and the listener's recording still holds
/// the caller's speech (the correlation threshold of the other call tests).
final class RekeyCallTests: CLITestCase {
    func testTwoProcessesRekeyingEverySecondKeepTheirAudio() throws {
        let config = path("rekey.toml")
        try "[call]\nrekey_after_s = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--config", config, "--bind", "127.0.0.1:0", "--auto-answer",
            "--no-microphone", "--record", path("l.wav"), "--stats", path("l.jsonl"), "--no-status",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener), "the listener did not start")
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
        let caller = try TestSupport.runHopline([
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("c.id"), "--config", config, "--play",
            TestSupport.demoSample, "--no-speaker", "--duration", "6", "--stats", path("c.jsonl"), "--no-status",
        ], timeout: 40)
        XCTAssertEqual(caller.status, 0, caller.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: listener.stderrPath, timeout: 10))

        // The caller's last line is taken in the call; the listener's during one too (it is still running).
        let callerStats = try XCTUnwrap(lastActiveStats(path("c.jsonl")), "no stats of the call")
        let listenerStats = try XCTUnwrap(lastActiveStats(path("l.jsonl")), "no stats of the call")
        for (stats, name) in [(callerStats, "caller"), (listenerStats, "listener")] {
            XCTAssertGreaterThanOrEqual(stats["sendKeyEpoch"] as? Int ?? -1, 3, "\(name): \(stats)")
            XCTAssertGreaterThanOrEqual(stats["receiveKeyEpoch"] as? Int ?? -1, 2, "\(name): \(stats)")
            XCTAssertGreaterThanOrEqual(stats["rekeys"] as? Int ?? -1, 5, "\(name): \(stats)")
            for counter in ["srtpForged", "srtpReplayed", "sealedRejected", "rekeyRejected"] {
                XCTAssertEqual(CallTestSupport.counter(stats, counter), 0, "\(name): \(counter)")
            }
        }
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("l.wav"), seconds: 4)
        let heard = ["packetsReceived", "framesConcealed", "rekeys"].map { "\($0) \(listenerStats[$0] ?? "-")" }
        XCTAssertGreaterThan(result.correlation, 0.7, "listener: \(heard.joined(separator: ", "))")
    }

    /// The last `--stats` line taken while the call was active.
    private func lastActiveStats(_ path: String) -> [String: Any]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: \.isNewline).reversed().lazy.compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }.first { $0["state"] as? String == "active" }
    }
}
