import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// A real `RelayServer` on 127.0.0.1 with two synthetic endpoints (plain UDP sockets) relaying both ways,
/// a stranger who reaches nobody, the non-relay sink, draining, and a second bind on a used port.
final class RelayServerTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private let callerKey = [UInt8](repeating: 0xA1, count: 32)
    private let calleeKey = [UInt8](repeating: 0xB2, count: 32)

    override func setUp() { group = MultiThreadedEventLoopGroup(numberOfThreads: 2) }
    override func tearDown() { try? group.syncShutdownGracefully() }

    private func startRelay(_ limits: RelayLimits = RelayLimits(allowLoopbackPeers: true),
                            sink: (@Sendable (InboundDatagram) -> Void)? = nil) throws -> RelayServer {
        try RelayServer.bind(to: try PeerAddress(parsing: "127.0.0.1:0"), limits: limits, group: group, nonRelaySink: sink)
    }

    /// A relay with Alice (caller) and Bob (callee) joined; returns the channel.
    private func connect(_ relay: RelayServer, _ alice: UDPTestEndpoint, _ bob: UDPTestEndpoint) throws -> UInt32 {
        guard case .joined(_, .caller, let token, let lifetime, let load)? = try alice.allocate(
            at: relay.localAddress.socketAddress, caller: callerKey, callee: calleeKey)
        else {
            XCTFail("allocate failed: \(relay.statistics)")
            throw CancellationError()
        }
        XCTAssertEqual(lifetime, 600)
        XCTAssertEqual(load.sessions, 1)
        guard case .joined(_, .callee, _, _, _)? = try bob.join(at: relay.localAddress.socketAddress, token: token) else {
            XCTFail("join failed: \(relay.statistics)")
            throw CancellationError()
        }
        return token.channel
    }

    func testForwardsBothWaysByteForByte() throws {
        let relay = try startRelay()
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group)
        let bob = try UDPTestEndpoint(group: group)
        defer { alice.close(); bob.close() }
        let channel = try connect(relay, alice, bob)
        let relayAddress = relay.localAddress.socketAddress
        for index in 0..<50 {
            let toBob = RelayPacket.dataHeader(channel: channel) + [0x80, UInt8(index)] + [UInt8](repeating: 0xAB, count: 100)
            alice.send(toBob, to: relayAddress)
            XCTAssertEqual(bob.next { $0.first == 0x40 }, toBob)
            let toAlice = RelayPacket.dataHeader(channel: channel) + [0x80, UInt8(index), 7]
            bob.send(toAlice, to: relayAddress)
            XCTAssertEqual(alice.next { $0.first == 0x40 }, toAlice)
        }
        let stats = relay.statistics
        XCTAssertEqual(stats.packetsForwarded, 100)
        XCTAssertEqual(stats.bytesForwarded, 50 * (106 + 7))
        XCTAssertEqual(stats.sessionsActive, 1)
        XCTAssertEqual(stats.totalDrops, 0)
    }

    func testForwardsOverIPv6() throws {
        let relay = try RelayServer.bind(
            to: try PeerAddress(parsing: "[::1]:0"), limits: RelayLimits(allowLoopbackPeers: true), group: group)
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group, bind: "::1")
        let bob = try UDPTestEndpoint(group: group, bind: "::1")
        defer { alice.close(); bob.close() }
        let channel = try connect(relay, alice, bob)
        let toBob = RelayPacket.dataHeader(channel: channel) + [0x80, 6]
        alice.send(toBob, to: relay.localAddress.socketAddress)
        XCTAssertEqual(bob.next { $0.first == 0x40 }, toBob)
        XCTAssertEqual(relay.statistics.packetsForwarded, 1)
    }

    func testAStrangerReachesNobodyAndIsCounted() throws {
        let relay = try startRelay()
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group)
        let bob = try UDPTestEndpoint(group: group)
        let mallory = try UDPTestEndpoint(group: group)
        defer { alice.close(); bob.close(); mallory.close() }
        let channel = try connect(relay, alice, bob)
        let relayAddress = relay.localAddress.socketAddress
        for index in 0..<20 {
            mallory.send(RelayPacket.dataHeader(channel: channel) + [UInt8](repeating: UInt8(index), count: 200), to: relayAddress)
            mallory.send(RelayPacket.dataHeader(channel: channel &+ UInt32(index) &+ 1) + [1], to: relayAddress)
            mallory.send([0x41, 1, 2], to: relayAddress)  // an unpadded cookie request: no answer
            mallory.send(RelayPacket.leave(channel: channel), to: relayAddress)
        }
        // A marker through the real session proves the stranger's packets were all processed before it.
        let marker = RelayPacket.dataHeader(channel: channel) + [0xEE]
        alice.send(marker, to: relayAddress)
        XCTAssertEqual(bob.next { $0 == marker }, marker)
        XCTAssertTrue(bob.datagrams.isEmpty, "bob received \(bob.datagrams.count) stranger datagrams")
        XCTAssertTrue(alice.datagrams.isEmpty)
        XCTAssertNil(mallory.next(within: 0.2), "the stranger got an answer")
        let stats = relay.statistics
        XCTAssertEqual(stats.drops[.unknownSource], 40)
        XCTAssertEqual(stats.drops[.unknownChannel], 20)
        XCTAssertEqual(stats.drops[.malformed], 20)
        XCTAssertEqual(stats.packetsForwarded, 1)
        XCTAssertEqual(stats.sessionsActive, 1)
    }

    func testNonRelayDatagramsGoToTheSinkWhichMayAnswerOnTheSameSocket() throws {
        let relayBox = Mutex<RelayServer?>(nil)
        let relay = try startRelay(sink: { datagram in
            // Echo a "bind response" from the relay's own socket, as the node's services will.
            relayBox.withLock { $0 }?.send([0x55] + datagram.bytes.dropFirst(), to: datagram.source)
        })
        relayBox.withLock { $0 = relay }
        defer { relay.close() }
        let node = try UDPTestEndpoint(group: group)
        defer { node.close() }
        node.send([0x54] + [UInt8](repeating: 3, count: 12), to: relay.localAddress.socketAddress)
        XCTAssertEqual(node.next(), [0x55] + [UInt8](repeating: 3, count: 12))
        XCTAssertEqual(relay.statistics.drops[.notRelay], 0)

        let silent = try startRelay()
        defer { silent.close() }
        node.send([0x54, 1, 2, 3], to: silent.localAddress.socketAddress)
        XCTAssertNil(node.next(within: 0.2))
        let deadline = ContinuousClock.now + .seconds(5)
        while silent.statistics.drops[.notRelay] != 1, ContinuousClock.now < deadline { usleep(2_000) }
        XCTAssertEqual(silent.statistics.drops[.notRelay], 1)
    }

    func testDrainNotifiesBothSidesAndRefusesNewSessions() throws {
        let relay = try startRelay()
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group)
        let bob = try UDPTestEndpoint(group: group)
        let carol = try UDPTestEndpoint(group: group)
        defer { alice.close(); bob.close(); carol.close() }
        let channel = try connect(relay, alice, bob)
        relay.beginDraining()
        for endpoint in [alice, bob] {
            for _ in 0..<3 { XCTAssertEqual(endpoint.nextPacket { $0 == .drain(channel: channel) }, .drain(channel: channel)) }
        }
        guard case .refused(_, .draining)? = try carol.allocate(at: relay.localAddress.socketAddress, caller: calleeKey, callee: callerKey) else {
            return XCTFail("allocate while draining was not refused with draining")
        }
        // Both sides leave; the relay is then empty and drain() returns at once.
        alice.send(.leave(channel: channel), to: relay.localAddress.socketAddress)
        bob.send(.leave(channel: channel), to: relay.localAddress.socketAddress)
        XCTAssertTrue(relay.drain(timeoutSeconds: 5))
        XCTAssertEqual(relay.statistics.sessionsLeft, 1)
        XCTAssertEqual(relay.statistics.refusals[.draining], 1)
    }

    func testDrainGivesUpAtItsTimeout() throws {
        let relay = try startRelay()
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group)
        let bob = try UDPTestEndpoint(group: group)
        defer { alice.close(); bob.close() }
        _ = try connect(relay, alice, bob)
        let start = ContinuousClock.now
        XCTAssertFalse(relay.drain(timeoutSeconds: 0.3))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
    }

    func testLoopbackSidesAreRefusedUnlessAllowed() throws {
        let relay = try startRelay(RelayLimits())
        defer { relay.close() }
        let alice = try UDPTestEndpoint(group: group)
        defer { alice.close() }
        guard case .refused(_, .deniedAddress)? = try alice.allocate(at: relay.localAddress.socketAddress, caller: callerKey, callee: calleeKey) else {
            return XCTFail("loopback side accepted")
        }
    }

    func testASecondRelayOnAUsedPortFailsClearly() throws {
        let relay = try startRelay()
        defer { relay.close() }
        XCTAssertThrowsError(try RelayServer.bind(to: relay.localAddress, limits: RelayLimits(), group: group)) {
            XCTAssertEqual("\($0)", "\(relay.localAddress) is already in use")
        }
    }
}
