import Foundation
import HoplineNet
import XCTest

/// A real listener under a handshake flood: 5,000 garbage message 1s a second on its UDP port while a real
/// call connects and carries audio. Random message 1s cost no DH work: the first 20 a second fail their mac1
/// and are refused, then 4 a second from the source fail it silently and the rest are dropped before it; the
/// real caller is asked for a cookie and connects.
final class HandshakeFloodTests: CLITestCase {
    func testARealCallConnectsWhileFiveThousandGarbageMessageOnesASecondArrive() throws {
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--play", TestSupport.demoSample,
            "--record", path("l.wav"), "--stats", path("l.jsonl"), "--no-status",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { UInt16(text[$0.upperBound...].prefix { $0.isNumber }) })

        // The flood: 50 garbage message 1s every 10 ms for 6 s (30,000 in all), on its own thread.
        let flooding = DispatchGroup()
        let socket = try UDPTestSocket()
        let cpuBefore = Self.cpuSeconds(of: listener.pid)
        let floodStart = Date()
        flooding.enter()
        Thread.detachNewThread {
            var generator = SystemRandomNumberGenerator()
            let start = Date()
            for tick in 0..<600 {
                for _ in 0..<50 {
                    let message = (0..<96).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    let packet = ControlPacket.handshakeInit(session: UInt32.random(in: 1 ... .max, using: &generator), message: message)
                    socket.send(packet.serialized(), toPort: port)
                }
                let next = start.addingTimeInterval(Double(tick + 1) * 0.01)
                let wait = next.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
            flooding.leave()
        }
        Thread.sleep(forTimeInterval: 1)
        let call = try TestSupport.runHopline([
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("c.id"), "--play", TestSupport.demoSample,
            "--record", path("c.wav"), "--duration", "3", "--no-status",
        ], timeout: 30)
        XCTAssertEqual(flooding.wait(timeout: .now() + 30), .success)
        let floodSeconds = Date().timeIntervalSince(floodStart)
        let cpu = Self.cpuSeconds(of: listener.pid) - cpuBefore
        XCTAssertEqual(call.status, 0, call.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: listener.stderrPath, timeout: 10))
        Thread.sleep(forTimeInterval: 1.1)
        let stats = CallTestSupport.lastStats(path("l.jsonl"))
        let cookies = CallTestSupport.counter(stats, "handshakeCookiesSent"), failures = CallTestSupport.counter(stats, "handshakeFailures")
        let suppressed = CallTestSupport.counter(stats, "handshakeRateLimited")
        let blind = CallTestSupport.counter(stats, "handshakeMacRejected")
        print(String(
            format: "handshake flood: %d garbage message 1s in %.1f s; listener CPU %.2f s (%.1f us per garbage packet, call included); "
                + "%d with a wrong mac1, %d cookies, %d dropped unanswered, %d DH attempts on garbage", 30_000, floodSeconds, cpu,
            cpu / 30_000 * 1e6, blind, cookies, suppressed, failures))
        // Most of the flood arrives (some may be lost in socket buffers): random message 1s from one source are
        // dropped after 4 a second or fail their mac1, at no DH cost; the real caller is asked for a cookie.
        XCTAssertGreaterThan(blind + suppressed, 20_000)
        XCTAssertEqual(failures, 0, "no DH work on garbage")
        XCTAssertLessThanOrEqual(failures, 20 * Int(floodSeconds.rounded(.up) + 1), "DH work for at most 20 strangers a second")
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("c.wav"), seconds: 2)
        XCTAssertGreaterThan(result.correlation, 0.7, "the call's audio suffered under the flood")
    }

    /// utime + stime of a process, seconds (from /proc/PID/stat; clock ticks of 1/100 s).
    static func cpuSeconds(of pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
