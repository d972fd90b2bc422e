import Foundation
import HoplineAudio
@testable import HoplineNode
import HoplineNet
import XCTest

/// What a caller or listener does with bad input: nobody there, a rejected call, a busy callee, a wrong
/// node ID, a peer that vanishes, and garbage and replayed packets in the middle of a call. All on
/// 127.0.0.1 with real processes.
final class CallBadInputTests: CLITestCase {
    /// Starts a listener on 127.0.0.1 (free port); returns it, its node ID and its port.
    /// A listener that needs no audio device: it sends silence and drops what arrives.
    static let withoutDevices = ["--no-microphone", "--no-speaker"]

    private func startListener(_ extra: [String], name: String = "l") throws -> (ChildProcess, String, Int) {
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("\(name).id"), "--bind", "127.0.0.1:0", "--no-status",
        ] + extra)
        addTeardownBlock { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener), "the listener did not print its node ID")
        let text = try String(contentsOfFile: listener.stderrPath, encoding: .utf8)
        let port = try XCTUnwrap(text.range(of: "listening on 127.0.0.1:").flatMap { range in
            Int(text[range.upperBound...].prefix { $0.isNumber })
        })
        return (listener, id, port)
    }

    /// An auto-answering listener and a caller in a 60 s call with it, one second into the call.
    private func startLongCall() throws -> (listener: ChildProcess, caller: ChildProcess) {
        let (listener, id, port) = try startListener(["--auto-answer", "--play", TestSupport.demoSample, "--record", path("l.wav")])
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("c.id"), "--no-status", "--play", TestSupport.demoSample,
            "--record", path("c.wav"), "--duration", "60",
        ])
        addTeardownBlock { caller.kill(); _ = caller.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("connected to", inFile: caller.stderrPath, timeout: 30))
        Thread.sleep(forTimeInterval: 1)
        return (listener, caller)
    }

    private func call(_ target: String, _ extra: [String], name: String = "c", timeout: TimeInterval = 30)
        throws -> (status: Int32?, stderr: String, seconds: Double)
    {
        let start = Date()
        let child = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", target, "--identity", path("\(name).id"), "--no-status",
        ] + extra)
        let status = child.wait(timeout: timeout)
        return (status, child.collectOutput().stderr, Date().timeIntervalSince(start))
    }

    private func freeUDPPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func testCallingAnOfflineNodeFailsClearlyWithinTheAnswerTimeout() throws {
        let (_, id, _) = try startListener(Self.withoutDevices)  // only to mint a valid node ID
        let port = freeUDPPort()
        let result = try call("\(id)@127.0.0.1:\(port)", ["--play", TestSupport.demoSample, "--record", path("x.wav")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no answer from"), result.stderr)
        XCTAssertTrue(result.stderr.contains("127.0.0.1:\(port)"), result.stderr)
        // The answer timeout is 5 s; process start and teardown add well under 2 s.
        XCTAssertLessThan(result.seconds, 8, "took \(result.seconds) s")
    }

    func testBareAddressWithNobodyThereFailsClearly() throws {
        let port = freeUDPPort()
        let result = try call("127.0.0.1:\(port)", ["--play", TestSupport.demoSample, "--record", path("x.wav")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no node answered at 127.0.0.1:\(port)"), result.stderr)
    }

    func testWrongNodeIDFailsTheHandshakeCleanly() throws {
        let (listener, _, port) = try startListener(["--auto-answer", "--play", TestSupport.demoSample, "--record", path("l.wav"), "--stats", path("l.jsonl")])
        let (_, otherID, _) = try startListener(Self.withoutDevices, name: "other")  // a real node ID that is not the listener's
        let result = try call("\(otherID)@127.0.0.1:\(port)", ["--play", TestSupport.demoSample, "--record", path("x.wav")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("could not decrypt the handshake"), result.stderr)
        XCTAssertLessThan(result.seconds, 4)
        XCTAssertTrue(CallTestSupport.waitForText("\"handshakeMacRejected\":1", inFile: path("l.jsonl"), timeout: 3))
        XCTAssertTrue(FileManager.default.fileExists(atPath: listener.stderrPath))
    }

    func testListenerWithoutTerminalRejectsAndCallerSaysSo() throws {
        let (_, id, port) = try startListener(["--play", TestSupport.demoSample, "--record", path("l.wav")])
        let result = try call("\(id)@127.0.0.1:\(port)", ["--play", TestSupport.demoSample, "--record", path("x.wav")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("ringing"), result.stderr)
        XCTAssertTrue(result.stderr.contains("rejected the call"), result.stderr)
    }

    func testPeerThatVanishesEndsTheCallWithinFiveSeconds() throws {
        let (listener, child) = try startLongCall()
        kill(listener.pid, SIGKILL)
        let killedAt = Date()
        let status = child.wait(timeout: 15)
        let seconds = Date().timeIntervalSince(killedAt)
        let stderr = child.collectOutput().stderr
        XCTAssertEqual(status, 1, stderr)
        XCTAssertTrue(stderr.contains("stopped answering"), stderr)
        XCTAssertLessThanOrEqual(seconds, 5.5, "the call ended \(seconds) s after the peer vanished")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("c.wav")), "the recording is written on a failed call too")
    }

    /// Identity squatting, as an attacker would try it: registrations for the callee's node ID signed with the
    /// attacker's own key (before and after the callee registers) are refused at the rendezvous, and a call
    /// by node ID still reaches the real callee.
    func testSquattedRegistrationsAreRefusedAndTheCallReachesTheRealNode() throws {
        let (rendezvous, _, rendezvousPort) = try startListener(
            ["--stats", path("r.jsonl"), "--no-microphone", "--no-speaker"], name: "r")
        _ = rendezvous
        let calleeIdentity = NodeIdentity.generate()
        try IdentityFile.text(of: calleeIdentity).write(toFile: path("b.id"), atomically: true, encoding: .utf8)
        chmod(path("b.id"), 0o600)
        let attacker = NodeIdentity.generate()
        let socket = try UDPTestSocket()
        func squat(_ timestamp: UInt64) throws {
            var registration = RendezvousRegistration(
                staticKey: calleeIdentity.nodeID.publicKey, signingKey: attacker.signingPublicKey, timestamp: timestamp,
                candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "127.0.0.1:9"))])
            registration.signature = try attacker.sign(registration.signedBytes)
            socket.send(ControlPacket.rendezvousRegister(registration).serialized(), toPort: UInt16(rendezvousPort))
        }
        try squat(UInt64(Date().timeIntervalSince1970 * 1000) + 60_000)  // first, and far in the future
        let (callee, _, _) = try startListener([
            "--rendezvous", "127.0.0.1:\(rendezvousPort)", "--auto-answer", "--play", TestSupport.demoSample,
            "--record", path("b.wav"),
        ], name: "b")
        XCTAssertTrue(CallTestSupport.waitForText("registered at rendezvous", inFile: callee.stderrPath, timeout: 10))
        try squat(UInt64(Date().timeIntervalSince1970 * 1000) + 120_000)  // again, while the callee is registered
        let call = try call(calleeIdentity.nodeID.description, [
            "--rendezvous", "127.0.0.1:\(rendezvousPort)", "--play", TestSupport.demoSample, "--record", path("c.wav"),
            "--duration", "1",
        ])
        XCTAssertEqual(call.status, 0, call.stderr)
        XCTAssertTrue(call.stderr.contains("connected to \(calleeIdentity.nodeID.abbreviated)"), call.stderr)
        XCTAssertFalse(call.stderr.contains("127.0.0.1:9"), "the attacker's candidate was never handed out: \(call.stderr)")
        XCTAssertTrue(CallTestSupport.waitForText("\"rejectedRegistrations\":2", inFile: path("r.jsonl"), timeout: 5))
    }

    /// A caller killed mid-call (SIGKILL: no chance to finish anything) leaves its recording as a valid WAV
    /// up to its last second (`PATH.partial`), not nothing.
    func testAKilledCallerLeavesItsRecordingUpToTheLastSecond() throws {
        let (_, id, port) = try startListener(["--auto-answer", "--play", TestSupport.demoSample, "--record", path("l.wav")])
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(port)", "--identity", path("c.id"), "--no-status", "--play", TestSupport.demoSample,
            "--record", path("c.wav"), "--duration", "30",
        ])
        XCTAssertTrue(CallTestSupport.waitForText("first audio played", inFile: caller.stderrPath, timeout: 10))
        Thread.sleep(forTimeInterval: 3.5)
        kill(caller.pid, SIGKILL)
        _ = caller.wait(timeout: 10)
        _ = caller.collectOutput()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("c.wav")), "never finished, never renamed")
        let seconds = Double(try WAVReader.read(path: path("c.wav") + ".partial").audio.samples.count) / 48_000
        XCTAssertGreaterThanOrEqual(seconds, 2.0, "the recording up to its last checkpoint")
        XCTAssertLessThanOrEqual(seconds, 4.5)
    }

    /// A datagram the node cannot send (its own firewall refuses it: EPERM) is counted and dropped; the node
    /// keeps receiving and answering. (SwiftNIO closes a datagram channel on such a write error, which once
    /// left a node running but deaf for good.)
    func testAnUnsendableReplyDoesNotDeafenTheNode() throws {
        let lab = try NetworkNamespaces(testCase: self)
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "nftables (nft) is not installed")
        let node = try lab.addNamespaceDroppingOutgoingUDP(toPort: 40_001, name: "n")
        let listener = try lab.spawn(in: node, TestSupport.hoplineBinary, [
            "listen", "--identity", path("l.id"), "--bind", "127.0.0.1:4730", "--no-status",
        ] + Self.withoutDevices)
        defer { listener.kill(); _ = listener.collectOutput() }
        XCTAssertNotNil(CallTestSupport.waitForNodeID(listener))
        let blocked = try NamespacedUDPSocket(namespace: node, ip: "127.0.0.1", port: 40_001)
        let open = try NamespacedUDPSocket(namespace: node, ip: "127.0.0.1", port: 40_002)
        let request = ControlPacket.identityRequest(transaction: [UInt8](repeating: 1, count: 12)).serialized()
        for _ in 0..<3 { blocked.send(request, to: "127.0.0.1", port: 4730) }  // its answers are refused: EPERM
        XCTAssertNil(blocked.receive())
        open.send(request, to: "127.0.0.1", port: 4730)
        guard let answer = open.receive(), case .identityResponse? = try? ControlPacket(parsing: answer) else {
            return XCTFail("the node stopped answering after an unsendable datagram")
        }
    }

    /// A port is one node's: a second `listen` on a taken port fails at start, naming the address.
    func testASecondListenerOnATakenPortFailsClearly() throws {
        let (_, _, port) = try startListener(["--auto-answer", "--play", TestSupport.demoSample, "--record", path("l.wav")])
        let second = try TestSupport.runHopline([
            "listen", "--identity", path("second.id"), "--bind", "127.0.0.1:\(port)", "--auto-answer", "--play",
            TestSupport.demoSample, "--record", path("second.wav"), "--no-status",
        ], timeout: 30)
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("127.0.0.1:\(port) is already in use"), second.stderr)
        XCTAssertFalse(second.stderr.contains("listening on"), second.stderr)
    }

    /// An echo tail outside 5...500 ms is refused before anything binds, naming the flag and the range.
    func testAnEchoTailOutOfRangeIsRefusedAtStart() throws {
        let result = try TestSupport.runHopline([
            "listen", "--identity", path("tail.id"), "--bind", "127.0.0.1:0", "--echo-tail-ms", "1000", "--no-status",
        ], timeout: 30)
        XCTAssertNotEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("--echo-tail-ms 1000 is out of range (expected 5...500)"), result.stderr)
        XCTAssertFalse(result.stderr.contains("listening on"), result.stderr)
    }

    /// Through a forwarding proxy (a port forward): during the call, garbage, truncated control packets,
    /// forged SRTP and replays of real SRTP packets go to both nodes from the address each believes is its
    /// peer; a second caller tries to get in. The call must carry on unharmed and everything must be counted.
    func testGarbageReplaysAndASecondCallerDoNotDisturbTheCall() throws {
        let sample = TestSupport.demoSample
        let (_, id, port) = try startListener(["--auto-answer", "--play", sample, "--record", path("l.wav"), "--stats", path("l.jsonl")])
        let proxy = try UDPTapProxy(targetPort: port)
        defer { proxy.stop() }
        let caller = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "call", "\(id)@127.0.0.1:\(proxy.frontPort)", "--identity", path("c.id"), "--no-status", "--play", sample,
            "--record", path("c.wav"), "--duration", "4", "--stats", path("c.jsonl"),
        ])
        XCTAssertTrue(CallTestSupport.waitForText("connected to", inFile: caller.stderrPath, timeout: 10))
        Thread.sleep(forTimeInterval: 1.5)
        var random = SystemRandomNumberGenerator()
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let replayToListener = Array(proxy.toListener.prefix(20)), replayToCaller = Array(proxy.toCaller.prefix(20))
        XCTAssertEqual(replayToListener.count, 20)
        XCTAssertEqual(replayToCaller.count, 20)
        var injected: [[UInt8]] = []
        for _ in 0..<20 { injected.append([UInt8.random(in: 0x00...0x4F, using: &random)] + bytes(40)) }  // garbage
        for _ in 0..<5 { injected.append([0x50, 1, 2]) }  // truncated handshake
        for _ in 0..<5 { injected.append([0x52] + bytes(4 + 8 + 32)) }  // sealed, wrong session/keys
        for _ in 0..<10 { injected.append([0x80, 111] + bytes(70)) }  // SRTP-shaped, forged
        for packet in replayToListener { proxy.injectToListener(packet) }
        for packet in replayToCaller { proxy.injectToCaller(packet) }
        for packet in injected {
            proxy.injectToListener(packet)
            proxy.injectToCaller(packet)
        }
        let second = try call("\(id)@127.0.0.1:\(port)", ["--play", sample, "--record", path("s.wav")], name: "s")
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("is busy"), second.stderr)

        let status = caller.wait(timeout: 20)
        let stderr = caller.collectOutput().stderr
        XCTAssertEqual(status, 0, stderr)
        for (name, stats) in [("caller", CallTestSupport.lastStats(path("c.jsonl"))), ("listener", CallTestSupport.lastStats(path("l.jsonl")))] {
            // The 20 captured packets are media and, since calls send RTCP, perhaps a report or two (SRTCP).
            let replays = CallTestSupport.counter(stats, "srtpReplayed") + CallTestSupport.counter(stats, "srtcpReplayed")
            XCTAssertGreaterThanOrEqual(replays, 20, "\(name): \(String(describing: stats))")
            XCTAssertGreaterThanOrEqual(CallTestSupport.counter(stats, "srtpForged") + CallTestSupport.counter(stats, "srtpMalformed"), 10, name)
            // First bytes 0x40-0x4F are relay packets now: counted as malformed or unmatched relay packets.
            let refusedGarbage = CallTestSupport.counter(stats, "garbage") + CallTestSupport.counter(stats, "malformedRelay")
                + CallTestSupport.counter(stats, "relayUnmatched")
            XCTAssertGreaterThanOrEqual(refusedGarbage, 20, name)
            XCTAssertGreaterThanOrEqual(CallTestSupport.counter(stats, "malformedControl"), 5, name)
            XCTAssertGreaterThanOrEqual(CallTestSupport.counter(stats, "sealedRejected"), 5, name)
        }
        // Same threshold and reasoning as CallNamespaceTests: 0.87-0.88 measured on a clean path.
        let result = try CallTestSupport.match(referencePath: sample, recordedPath: path("c.wav"), seconds: 3)
        XCTAssertGreaterThan(result.correlation, 0.7, "the caller's audio was disturbed")
    }

    func testUnknownNodeIDAtARendezvousFailsClearly() throws {
        let (_, _, port) = try startListener(Self.withoutDevices, name: "r")
        let (_, strangerID, _) = try startListener(Self.withoutDevices, name: "stranger")  // never registered anywhere
        let result = try call(strangerID, ["--rendezvous", "127.0.0.1:\(port)", "--play", TestSupport.demoSample, "--record", path("x.wav")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("is not registered at rendezvous 127.0.0.1:\(port)"), result.stderr)
        XCTAssertLessThan(result.seconds, 4)
    }

    func testInterruptHangsUpCleanlyOnBothSides() throws {
        let (listener, caller) = try startLongCall()
        kill(caller.pid, SIGINT)
        let status = caller.wait(timeout: 5)
        let stderr = caller.collectOutput().stderr
        XCTAssertEqual(status, 0, stderr)
        XCTAssertTrue(stderr.contains("hanging up (interrupted (Ctrl-C))"), stderr)
        XCTAssertTrue(stderr.contains("recorded"), stderr)
        XCTAssertTrue(CallTestSupport.waitForText("hung up (interrupted (Ctrl-C))", inFile: listener.stderrPath, timeout: 3))
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: listener.stderrPath, timeout: 3))
    }

    /// Not bad input, but the unauthenticated path next to it: a bare HOST:PORT asks the node there for its
    /// key, warns, and the call proceeds to that node ID.
    func testBareAddressTrustsOnFirstUseWithAWarning() throws {
        let (_, id, port) = try startListener(["--auto-answer", "--play", TestSupport.demoSample, "--record", path("l.wav")])
        let result = try call("127.0.0.1:\(port)", ["--play", TestSupport.demoSample, "--record", path("c.wav"), "--duration", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("warning: trusting node ID \(id) at 127.0.0.1:\(port) on first use"), result.stderr)
        XCTAssertTrue(result.stderr.contains("connected to"), result.stderr)
    }
}
