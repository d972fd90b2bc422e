import Foundation
import HoplineNet
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `hopline relay` as a separate process: it starts, relays between two plain UDP sockets on 127.0.0.1,
/// answers `hopline relay status`, drains on SIGTERM (DRAIN to both ends, exit 0), and refuses a port that
/// is taken. Also `[relay] enabled = true` inside `hopline listen`.
final class RelayCommandTests: CLITestCase {
    private let callerKey = [UInt8](repeating: 0xA1, count: 32)
    private let calleeKey = [UInt8](repeating: 0xB2, count: 32)

    /// Starts `hopline relay` with `arguments`; waits for its listening (and metrics) lines.
    private func startRelay(_ arguments: [String], metrics: Bool) throws -> (ChildProcess, relayPort: UInt16, metricsPort: UInt16?) {
        let child = try ChildProcess.spawn(TestSupport.hoplineBinary, ["relay", "--no-status", "--identity", path("relay.id")] + arguments)
        let needle = metrics ? "metrics at http://127.0.0.1:" : "relay listening on 127.0.0.1:"
        guard CallTestSupport.waitForText(needle, inFile: child.stdoutPath, timeout: 30) else {
            child.kill()
            let output = child.collectOutput()
            XCTFail("hopline relay did not start: \(output.stderr)\(output.stdout)")
            throw CancellationError()
        }
        let text = try String(contentsOfFile: child.stdoutPath, encoding: .utf8)
        func port(after prefix: String) -> UInt16? {
            text.range(of: prefix).flatMap { UInt16(text[$0.upperBound...].prefix { $0.isNumber }) }
        }
        return (child, try XCTUnwrap(port(after: "relay listening on 127.0.0.1:")), port(after: "metrics at http://127.0.0.1:"))
    }

    /// Waits up to 5 s for a relay packet matching `predicate` on `socket`.
    private func receive(_ socket: UDPTestSocket, where predicate: (RelayPacket) -> Bool) -> RelayPacket? {
        for _ in 0..<50 {  // 100 ms each
            guard let datagram = socket.receive() else { continue }
            if let packet = try? RelayPacket(parsing: datagram.bytes), predicate(packet) { return packet }
        }
        return nil
    }

    private func cookie(_ socket: UDPTestSocket, relay: UInt16) -> [UInt8]? {
        socket.send(RelayPacket.cookieRequest(transaction: [UInt8](repeating: 7, count: 12)).serialized(), toPort: relay)
        guard case .cookie(_, let cookie, _)? = receive(socket, where: { if case .cookie = $0 { true } else { false } }) else { return nil }
        return cookie
    }

    func testRelayForwardsAnswersStatusAndDrainsOnSIGTERM() throws {
        let (relay, relayPort, metricsPort) = try startRelay(
            ["--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--allow-loopback-peers", "--drain-timeout", "20"], metrics: true)
        var finished = false
        defer { if !finished { relay.kill(); _ = relay.collectOutput() } }
        let alice = try UDPTestSocket(), bob = try UDPTestSocket()

        let aliceCookie = try XCTUnwrap(cookie(alice, relay: relayPort))
        alice.send(RelayPacket.allocate(transaction: [UInt8](repeating: 1, count: 12), cookie: aliceCookie, caller: callerKey, callee: calleeKey)
            .serialized(), toPort: relayPort)
        guard case .joined(_, .caller, let token, _, _)? = receive(alice, where: { if case .joined = $0 { true } else { false } }) else {
            return XCTFail("no JOINED for the caller")
        }
        let bobCookie = try XCTUnwrap(cookie(bob, relay: relayPort))
        bob.send(RelayPacket.join(transaction: [UInt8](repeating: 2, count: 12), cookie: bobCookie, side: .callee, token: token).serialized(),
                 toPort: relayPort)
        guard case .joined(_, .callee, _, _, _)? = receive(bob, where: { if case .joined = $0 { true } else { false } }) else {
            return XCTFail("no JOINED for the callee")
        }
        let toBob = RelayPacket.dataHeader(channel: token.channel) + [0x80, 1, 2, 3]
        alice.send(toBob, toPort: relayPort)
        XCTAssertEqual(receive(bob, where: { if case .data = $0 { true } else { false } })?.serialized(), toBob)
        let toAlice = RelayPacket.dataHeader(channel: token.channel) + [0x80, 9]
        bob.send(toAlice, toPort: relayPort)
        XCTAssertEqual(receive(alice, where: { if case .data = $0 { true } else { false } })?.serialized(), toAlice)

        let status = try ChildProcess.spawn(TestSupport.hoplineBinary, ["relay", "status", "--metrics", "127.0.0.1:\(try XCTUnwrap(metricsPort))"])
        XCTAssertEqual(status.wait(timeout: 30), 0)
        let table = status.collectOutput().stdout
        XCTAssertTrue(table.contains("sessions active       1 of 1000"), table)
        XCTAssertTrue(table.contains("packets forwarded     2"), table)
        XCTAssertTrue(table.contains("bytes forwarded       14"), table)

        Glibc.kill(relay.pid, SIGTERM)
        for socket in [alice, bob] {
            XCTAssertEqual(receive(socket, where: { if case .drain = $0 { true } else { false } }), .drain(channel: token.channel))
        }
        usleep(300_000)
        var early: Int32 = 0
        XCTAssertEqual(waitpid(relay.pid, &early, WNOHANG), 0, "the relay exited with a session still open")
        for socket in [alice, bob] { socket.send(RelayPacket.leave(channel: token.channel).serialized(), toPort: relayPort) }
        let exit = relay.wait(timeout: 15)
        let output = relay.collectOutput()
        finished = true
        XCTAssertEqual(exit, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("SIGTERM: draining 1 session(s)"), output.stdout)
        XCTAssertTrue(output.stdout.contains(": drained, 0 session(s) left; 2 packets (14 bytes) forwarded, 1 session(s) created"), output.stdout)
    }

    func testDrainTimeoutEndsTheRelayWithSessionsLeft() throws {
        let (relay, relayPort, _) = try startRelay(["--listen", "127.0.0.1:0", "--allow-loopback-peers", "--drain-timeout", "0.5"], metrics: false)
        var finished = false
        defer { if !finished { relay.kill(); _ = relay.collectOutput() } }
        let alice = try UDPTestSocket()
        let aliceCookie = try XCTUnwrap(cookie(alice, relay: relayPort))
        alice.send(RelayPacket.allocate(transaction: [UInt8](repeating: 1, count: 12), cookie: aliceCookie, caller: callerKey, callee: calleeKey)
            .serialized(), toPort: relayPort)
        XCTAssertNotNil(receive(alice, where: { if case .joined = $0 { true } else { false } }))
        Glibc.kill(relay.pid, SIGINT)
        let exit = relay.wait(timeout: 15)
        let output = relay.collectOutput()
        finished = true
        XCTAssertEqual(exit, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("drain timeout, 1 session(s) left"), output.stdout)
    }

    func testASecondRelayOnTheSamePortFailsClearly() throws {
        let (relay, relayPort, _) = try startRelay(["--listen", "127.0.0.1:0"], metrics: false)
        defer { relay.kill(); _ = relay.collectOutput() }
        let second = try ChildProcess.spawn(TestSupport.hoplineBinary, ["relay", "--no-status", "--identity", path("relay2.id"), "--listen", "127.0.0.1:\(relayPort)"])
        XCTAssertEqual(second.wait(timeout: 30), 1)
        let output = second.collectOutput()
        XCTAssertTrue(output.stderr.contains("127.0.0.1:\(relayPort) is already in use"), output.stderr)
    }

    func testStatusWithNothingListeningIsAClearError() throws {
        let socket = try UDPTestSocket()  // a port that is free for TCP in practice: nothing listens there
        let status = try ChildProcess.spawn(TestSupport.hoplineBinary, ["relay", "status", "--metrics", "127.0.0.1:\(socket.port)"])
        XCTAssertEqual(status.wait(timeout: 30), 1)
        let output = status.collectOutput()
        XCTAssertTrue(output.stderr.contains("nothing is listening on 127.0.0.1:\(socket.port)"), output.stderr)
    }

    func testListenStartsARelayWhenEnabled() throws {
        let config = path("relay.toml")
        try "[relay]\nenabled = true\nlisten = \"127.0.0.1:0\"\nallow_loopback_peers = true\n".write(toFile: config, atomically: true, encoding: .utf8)
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--bind", "127.0.0.1:0", "--no-status", "--config", config,
            "--no-microphone", "--no-speaker",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("relay listening on 127.0.0.1:", inFile: listener.stderrPath, timeout: 30))
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let relayPort = try XCTUnwrap(text.range(of: "relay listening on 127.0.0.1:").flatMap { UInt16(text[$0.upperBound...].prefix { $0.isNumber }) })
        let alice = try UDPTestSocket()
        XCTAssertNotNil(cookie(alice, relay: relayPort), "the embedded relay did not answer")
    }
}
