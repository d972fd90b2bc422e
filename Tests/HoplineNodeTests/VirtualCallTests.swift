import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// Whole nodes (`NodeCore`: handshake, signaling, paths, real Opus and SRTP) on a simulated network and a
/// virtual clock: exact timing of the handshake's retransmission and of liveness, without sockets or sleeps.
final class VirtualCallTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    func testADirectCallConnectsCarriesMediaBothWaysAndReportsItsPath() throws {
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730")
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000")
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
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730")
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000")
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

    /// Regression (review while fuzzing the sealed path, issue 11): a keepalive echo carries back the sender's clock,
    /// but the peer chooses the value; `sentAt` 0x8000_0000_0000_0000 made `now - sentAt` overflow and trap the node.
    func testAKeepaliveEchoWithAClockWeNeverSentIsIgnoredNotATrap() throws {
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730")
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000")
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
