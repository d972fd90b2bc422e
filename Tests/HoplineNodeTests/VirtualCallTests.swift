import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// Whole nodes (`NodeCore`: handshake, signaling, paths, real Opus and SRTP) on a simulated network and a
/// virtual clock: exact timing of the handshake's retransmission and of liveness, without sockets or sleeps.
final class VirtualCallTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    func testADirectCallConnectsCarriesMediaBothWaysAndReportsItsPath() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let address = callee.environment.transport.localAddress
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(address)], relayLinks: [],
            now: network.clock.now())
        network.run(for: 2)
        let call = try XCTUnwrap(caller.calls.call)
        XCTAssertEqual(call.phase, .active)
        XCTAssertEqual(call.paths.active, .direct(address))
        let theirs = try XCTUnwrap(callee.calls.call)
        XCTAssertEqual(theirs.paths.active, .direct(caller.environment.transport.localAddress))
        // 2 s of 20 ms frames, less the first round trips.
        XCTAssertGreaterThan(call.media?.reception.packetsReceived ?? 0, 90)
        XCTAssertGreaterThan(theirs.media?.reception.packetsReceived ?? 0, 90)
        XCTAssertEqual(call.media?.jitterStatistics.concealed, 0)
        XCTAssertEqual(call.rttMilliseconds ?? 0, 20, accuracy: 0.001, "two 10 ms hops on the simulated network")
    }

    func testMessageOneIsResentAt150And450MillisecondsSoTwoLossesCostExactly450() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        var dropped = 0
        network.filter = { _, _, bytes in
            if bytes.first == ControlPacketType.handshakeInit.rawValue && dropped < 2 {
                dropped += 1
                return false
            }
            return true
        }
        let start = network.clock.now()
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(callee.environment.transport.localAddress)],
            relayLinks: [], now: start)
        network.run(until: start.advanced(byMilliseconds: 469.9))
        XCTAssertEqual(caller.calls.call?.phase, .handshaking)
        network.run(until: start.advanced(byMilliseconds: 470))
        XCTAssertEqual(caller.calls.call?.phase, .active, "third message 1 at 450 ms, answer 20 ms later")
        XCTAssertEqual(dropped, 2)
    }

    func testAPeerThatFallsSilentEndsTheCallAfterThePeerTimeout() throws {
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730")
        VirtualNodes.listen(callee)
        let events = EventLog()
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000", events: events)
        let address = callee.environment.transport.localAddress
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(address)], relayLinks: [], now: network.clock.now())
        network.run(for: 1)
        XCTAssertEqual(caller.calls.call?.phase, .active)
        network.kill(address)
        let killed = network.clock.now()
        XCTAssertTrue(network.run(atMost: 6) { caller.calls.call?.phase == .ended })
        let ended = network.clock.now().milliseconds(since: killed)
        XCTAssertEqual(ended, 4_000, accuracy: 30, "the 4 s peer timeout after the last packet")
        XCTAssertTrue(events.text.contains("stopped answering"), events.text)
    }

    /// A recorded message 1 sent again after the call (by anyone who saw it) starts nothing: its offer's
    /// timestamp is not newer than the caller's last. The callee answers nothing and counts the replay.
    func testAReplayedMessageOneIsIgnored() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let calleeAddress = callee.environment.transport.localAddress, callerAddress = caller.environment.transport.localAddress
        var recorded: [UInt8]?
        var answersAfterReplay = 0
        var replayed = false
        network.filter = { source, _, bytes in
            if bytes.first == ControlPacketType.handshakeInit.rawValue, recorded == nil { recorded = bytes }
            if replayed, source == calleeAddress { answersAfterReplay += 1 }
            return true
        }
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(calleeAddress)], relayLinks: [],
            now: network.clock.now())
        network.run(for: 1)
        XCTAssertEqual(callee.calls.call?.phase, .active)
        if let call = caller.calls.call { caller.calls.hangUp(call, reason: .hangUp) }
        network.run(for: 2)
        XCTAssertNil(callee.calls.call, "the callee went back to listening")

        replayed = true
        network.send(try XCTUnwrap(recorded), from: callerAddress, to: calleeAddress)
        network.run(for: 1)
        XCTAssertNil(callee.calls.call, "a replay started a call")
        XCTAssertEqual(callee.environment.counters.handshakeReplays, 1)
        XCTAssertEqual(answersAfterReplay, 0, "the callee answered a replay")

        // A new call from the same caller (a newer timestamp) is taken as usual.
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(calleeAddress)], relayLinks: [],
            now: network.clock.now())
        network.run(for: 1)
        XCTAssertEqual(callee.calls.call?.phase, .active)
    }

    func testTheReplayGuardKeepsTheNewestTimestampPerCallerAndStaysBounded() {
        var guardian = HandshakeReplayGuard(capacity: 4)
        let a = NodeIdentity.generate().nodeID, b = NodeIdentity.generate().nodeID
        XCTAssertTrue(guardian.admit(10, from: a))
        XCTAssertFalse(guardian.admit(10, from: a))
        XCTAssertFalse(guardian.admit(9, from: a))
        XCTAssertTrue(guardian.admit(5, from: b), "timestamps are per caller")
        XCTAssertTrue(guardian.admit(11, from: a))
        for _ in 0..<10 {
            XCTAssertTrue(guardian.admit(100, from: NodeIdentity.generate().nodeID))
            XCTAssertLessThanOrEqual(guardian.count, 4, "bounded")
        }
        XCTAssertTrue(guardian.admit(11, from: a), "past the bound the oldest callers are forgotten")
    }

    /// A flood of garbage message 1s with a valid mac1 (500 a second from one stranger who knows the callee's
    /// node ID): after the first 20 in a second the callee does no more DH work for strangers and answers with
    /// cookies (4 a second to the flooder, which gets nothing more); a real caller gets a cookie, sends
    /// message 1 again with it, and connects. A forged cookie costs no DH work either.
    func testUnderAHandshakeFloodTheCalleeAsksForCookiesAndARealCallStillConnects() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let calleeAddress = callee.environment.transport.localAddress
        let flooder = try PeerAddress(parsing: "192.0.2.66:7000")
        let mac = HandshakeMAC(responderStaticKey: callee.environment.identity.nodeID.publicKey)
        var generator = SystemRandomNumberGenerator()
        func flood(milliseconds: Int, cookie: [UInt8]? = nil, from flooder: PeerAddress = flooder) {
            for _ in 0..<(milliseconds / 10) {
                for _ in 0..<5 {
                    let session = UInt32.random(in: 1 ... .max, using: &generator)
                    let message = mac.appending(to: (0..<96).map { _ in UInt8.random(in: 0...255, using: &generator) }, session: session)
                    let packet: ControlPacket = cookie.map { .handshakeInitWithCookie(session: session, cookie: $0, message: message) }
                        ?? .handshakeInit(session: session, message: message)
                    network.send(packet.serialized(), from: flooder, to: calleeAddress)
                }
                network.run(for: 0.01)
            }
        }
        flood(milliseconds: 500)
        let counters = callee.environment.counters
        XCTAssertEqual(counters.handshakeFailures, 20, "DH work only below the threshold")
        XCTAssertEqual(counters.handshakeCookiesSent, 4, "4 message 1s a second from one source are looked at")
        XCTAssertEqual(counters.handshakeRateLimited, 250 - 20 - 4, "the rest of its flood is dropped unanswered")

        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(calleeAddress)], relayLinks: [],
            now: network.clock.now())
        flood(milliseconds: 1_000)
        let call = try XCTUnwrap(caller.calls.call)
        XCTAssertEqual(call.phase, .active, "the real call connected under the flood")
        XCTAssertNotNil(call.handshakeCookies[.direct(calleeAddress)], "it was asked for a cookie")
        XCTAssertLessThanOrEqual(callee.environment.counters.handshakeFailures, 20 + 20, "one more second's threshold at most")

        let before = callee.environment.counters
        flood(milliseconds: 200, cookie: [UInt8](repeating: 0x42, count: 16), from: try PeerAddress(parsing: "192.0.2.67:7000"))
        let after = callee.environment.counters
        XCTAssertEqual(after.handshakeFailures, before.handshakeFailures, "forged cookies cost no DH")
        let rejected = after.handshakeCookiesRejected - before.handshakeCookiesRejected
        XCTAssertTrue((4...8).contains(rejected), "a new source: 4 a second looked at (one window, or two): \(rejected)")
        XCTAssertEqual(rejected + after.handshakeRateLimited - before.handshakeRateLimited, 100)
        XCTAssertEqual(callee.calls.call?.phase, .active)
        XCTAssertEqual(callee.environment.counters.handshakeMacRejected, 0)
    }

    /// Blind garbage (random message 1s: no valid mac1) costs no DH work at all: the first 20 a second are
    /// told the handshake failed, then 4 a second from the source fail their mac1 silently and the rest are
    /// dropped before it; a real caller connects through it.
    func testBlindGarbageIsDroppedOnItsMacWithoutDHWorkOrAnswers() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let calleeAddress = callee.environment.transport.localAddress
        let flooder = try PeerAddress(parsing: "192.0.2.66:7000")
        var answers = 0
        network.filter = { source, destination, _ in
            if source == calleeAddress, destination == flooder { answers += 1 }
            return true
        }
        var generator = SystemRandomNumberGenerator()
        func flood(milliseconds: Int) {
            for _ in 0..<(milliseconds / 10) {
                for _ in 0..<5 {
                    let message = (0..<112).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    let session = UInt32.random(in: 1 ... .max, using: &generator)
                    network.send(ControlPacket.handshakeInit(session: session, message: message).serialized(), from: flooder, to: calleeAddress)
                }
                network.run(for: 0.01)
            }
        }
        flood(milliseconds: 500)
        XCTAssertEqual(callee.environment.counters.handshakeMacRejected, 20 + 4)
        XCTAssertEqual(callee.environment.counters.handshakeRateLimited, 250 - 24)
        XCTAssertEqual(callee.environment.counters.handshakeFailures, 0, "no DH work")
        XCTAssertEqual(answers, 20, "refusals while quiet, then nothing")
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(calleeAddress)], relayLinks: [],
            now: network.clock.now())
        flood(milliseconds: 1_000)
        XCTAssertEqual(caller.calls.call?.phase, .active, "the real call connected under the flood")
        XCTAssertEqual(callee.environment.counters.handshakeFailures, 0)
    }

    /// Regression (review while fuzzing the sealed path, issue 11): a keepalive echo carries back the sender's clock,
    /// but the peer chooses the value; `sentAt` 0x8000_0000_0000_0000 made `now - sentAt` overflow and trap the node.
    func testAKeepaliveEchoWithAClockWeNeverSentIsIgnoredNotATrap() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let address = callee.environment.transport.localAddress
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(address)], relayLinks: [], now: network.clock.now())
        network.run(for: 1)
        let call = try XCTUnwrap(caller.calls.call)
        let theirs = try XCTUnwrap(callee.calls.call)
        XCTAssertEqual(call.phase, .active)
        let rtt = try XCTUnwrap(call.rttMilliseconds)
        for sentAt: UInt64 in [0x8000_0000_0000_0000, 0x8000_0000_0000_0001, 0x8000_0000_0000_FFFF, 0x7FFF_FFFF_FFFF_FFFF] {
            callee.calls.sendSealed(theirs, .keepaliveEcho(sentAt: sentAt))
        }
        network.run(for: 0.5)
        XCTAssertEqual(call.phase, .active)
        XCTAssertEqual(call.rttMilliseconds ?? 0, rtt, accuracy: 0.001, "absurd echoes are not RTT samples")
    }
}
