import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore
import XCTest

/// Caps, bandwidth buckets, the deny list, idle expiry and draining, each refusing or dropping with the
/// reason the contract names.
final class RelayEngineLimitsTests: XCTestCase {
    private let alice = address("198.51.100.1:40000")
    private let bob = address("203.0.113.7:50000")

    func testSessionCapRefusesWithFull() throws {
        var relay = EngineHarness(RelayLimits(maxSessions: 2))
        _ = try XCTUnwrap(relay.allocate(from: address("198.51.100.1:1"))).get()
        _ = try XCTUnwrap(relay.allocate(from: address("198.51.100.2:1"))).get()
        XCTAssertEqual(failure(relay.allocate(from: address("198.51.100.3:1"))), .full)
        XCTAssertEqual(relay.engine.load, RelayLoad(sessions: 2, capacity: 2, draining: false))
    }

    func testPerSourceIPCapCountsEverySideAtThatIP() throws {
        var relay = EngineHarness(RelayLimits(maxSessionsPerIP: 2))
        let token = try XCTUnwrap(relay.allocate(from: address("198.51.100.1:1"))).get()
        _ = try XCTUnwrap(relay.allocate(from: address("198.51.100.1:2"), caller: [UInt8](repeating: 3, count: 32))).get()
        XCTAssertEqual(failure(relay.allocate(from: address("198.51.100.1:3"), caller: [UInt8](repeating: 4, count: 32))), .sourceLimit)
        // Joining as the callee from that IP is a third session for it, too.
        let third = try XCTUnwrap(relay.allocate(from: bob, caller: [UInt8](repeating: 5, count: 32))).get()
        XCTAssertEqual(failure(relay.join(third, from: address("198.51.100.1:9"))), .sourceLimit)
        // Rejoining a session the IP is already part of is not a new session.
        _ = try XCTUnwrap(relay.join(token, side: .callee, from: address("198.51.100.1:7"))).get()
        // LEAVE frees the slot.
        _ = relay.engine.handleRequest(RelayPacket.leave(channel: token.channel).serialized(), from: address("198.51.100.1:1"), now: relay.now)
        _ = relay.engine.handleRequest(RelayPacket.leave(channel: token.channel).serialized(), from: address("198.51.100.1:7"), now: relay.now)
        _ = try XCTUnwrap(relay.join(third, from: address("198.51.100.1:9"))).get()
    }

    func testDenyList() throws {
        var relay = EngineHarness(RelayLimits(denyPrivate: true), own: [RelayIPKey(address("198.51.100.200:4740"))!])
        XCTAssertEqual(failure(relay.allocate(from: address("127.0.0.1:5000"))), .deniedAddress)
        XCTAssertEqual(failure(relay.allocate(from: address("[::1]:5000"))), .deniedAddress)
        XCTAssertEqual(failure(relay.allocate(from: address("198.51.100.200:5000"))), .deniedAddress, "the relay's own address")
        for text in ["10.1.2.3:1", "172.16.0.1:1", "172.31.255.1:1", "192.168.1.1:1", "100.64.0.1:1", "169.254.1.1:1", "[fd00::1]:1", "[fe80::1]:1"] {
            XCTAssertEqual(failure(relay.allocate(from: address(text))), .deniedAddress, text)
        }
        _ = try XCTUnwrap(relay.allocate(from: address("172.32.0.1:1"))).get()
        _ = try XCTUnwrap(relay.allocate(from: address("[2001:db8::1]:1"), caller: [UInt8](repeating: 1, count: 32))).get()
        // A callee may not join from a denied address either.
        let token = try XCTUnwrap(relay.allocate(from: alice, caller: [UInt8](repeating: 2, count: 32))).get()
        XCTAssertEqual(failure(relay.join(token, from: address("127.0.0.1:9"))), .deniedAddress)

        var permissive = EngineHarness(RelayLimits(allowLoopbackPeers: true))
        _ = try XCTUnwrap(permissive.allocate(from: address("127.0.0.1:5000"))).get()
        _ = try XCTUnwrap(permissive.allocate(from: address("10.0.0.1:5000"), caller: [UInt8](repeating: 1, count: 32))).get()
    }

    func testPerSessionBucketDropsWithRateLimited() throws {
        // 8 kbit/s = 1000 bytes/s; the burst is never below 1500 bytes.
        var relay = EngineHarness(RelayLimits(maxKbpsPerSession: 8))
        let token = try relay.connected(caller: alice, callee: bob)
        XCTAssertEqual(relay.forward(token.channel, 500, from: alice), bob)
        XCTAssertEqual(relay.forward(token.channel, 500, from: bob), alice)
        XCTAssertEqual(relay.forward(token.channel, 500, from: alice), bob)
        XCTAssertNil(relay.forward(token.channel, 500, from: alice))
        relay.advance(milliseconds: 500)
        XCTAssertEqual(relay.forward(token.channel, 500, from: alice), bob)
        XCTAssertNil(relay.forward(token.channel, 500, from: alice))
        let stats = relay.engine.counters.snapshot()
        XCTAssertEqual(stats.drops[.rateLimited], 2)
        XCTAssertEqual(stats.rateLimitHits, 2)
        XCTAssertEqual(stats.packetsForwarded, 4)
    }

    func testTotalBucketDropsAndThenRefusesNewSessions() throws {
        var relay = EngineHarness(RelayLimits(maxKbpsPerSession: 0, maxTotalKbps: 16))  // 2000 bytes/s
        let token = try relay.connected(caller: alice, callee: bob)
        XCTAssertEqual(relay.forward(token.channel, 1_000, from: alice), bob)
        XCTAssertEqual(relay.forward(token.channel, 1_000, from: bob), alice)
        XCTAssertNil(relay.forward(token.channel, 1_000, from: alice))
        XCTAssertEqual(failure(relay.allocate(from: address("198.51.100.9:1"), caller: [UInt8](repeating: 7, count: 32))), .rateLimited)
        relay.advance(milliseconds: 1_000)
        _ = try XCTUnwrap(relay.allocate(from: address("198.51.100.9:1"), caller: [UInt8](repeating: 7, count: 32))).get()
        XCTAssertEqual(relay.engine.counters.snapshot().refusals[.rateLimited], 1)
    }

    func testIdleSessionsExpireAfterSixtySeconds() throws {
        var relay = EngineHarness()
        let busy = try relay.connected(caller: alice, callee: bob)
        let quiet = try XCTUnwrap(relay.allocate(from: address("198.51.100.5:1"), caller: [UInt8](repeating: 8, count: 32))).get()
        for _ in 0..<59 {
            relay.advance(milliseconds: 1_000)
            _ = relay.forward(busy.channel, from: alice)
            XCTAssertTrue(relay.engine.tick(now: relay.now).isEmpty)
        }
        XCTAssertEqual(relay.engine.sessionCount, 2)
        relay.advance(milliseconds: 1_000)
        _ = relay.engine.tick(now: relay.now)
        XCTAssertNil(relay.engine.session(quiet.channel))
        XCTAssertNotNil(relay.engine.session(busy.channel))
        relay.advance(milliseconds: 60_000)
        _ = relay.engine.tick(now: relay.now)
        XCTAssertEqual(relay.engine.sessionCount, 0)
        XCTAssertEqual(relay.engine.counters.snapshot().sessionsExpired, 2)
        XCTAssertNil(relay.forward(busy.channel, from: alice))
    }

    func testDrainSendsDrainThreeTimesToProvenSidesAndRefusesNewWork() throws {
        var relay = EngineHarness()
        let token = try relay.connected(caller: alice, callee: bob)
        let halfOpen = try XCTUnwrap(relay.allocate(from: address("198.51.100.5:1"), caller: [UInt8](repeating: 8, count: 32))).get()
        relay.engine.beginDraining(now: relay.now)
        var sent: [(bytes: [UInt8], destination: SocketAddress)] = []
        for _ in 0..<20 {
            sent += relay.engine.tick(now: relay.now)
            relay.advance(milliseconds: 10)
        }
        XCTAssertEqual(sent.count, 9, "3 rounds x 3 proven side addresses")
        let destinations = Set(sent.map { "\($0.destination)" })
        XCTAssertEqual(destinations, Set([alice, bob, address("198.51.100.5:1")].map { "\($0)" }))
        for (bytes, destination) in sent {
            let expected = destination == address("198.51.100.5:1") ? halfOpen.channel : token.channel
            XCTAssertEqual(try RelayPacket(parsing: bytes), .drain(channel: expected))
        }
        XCTAssertEqual(failure(relay.allocate(from: address("198.51.100.6:1"), caller: [UInt8](repeating: 9, count: 32))), .draining)
        XCTAssertEqual(failure(relay.join(token, from: bob)), .draining)
        guard case .cookie(_, _, let load)? = relay.request(.cookieRequest(transaction: [UInt8](repeating: 0, count: 12)), from: alice) else {
            return XCTFail("no cookie while draining")
        }
        XCTAssertTrue(load.draining)
        // Calls keep flowing until they move.
        XCTAssertEqual(relay.forward(token.channel, from: alice), bob)
        XCTAssertTrue(relay.engine.counters.snapshot().draining)
        XCTAssertEqual(relay.engine.counters.snapshot().drainsSent, 9)
    }

    private func failure(_ result: Result<RelayToken, RelayRefusal>?) -> RelayRefusal? {
        guard case .failure(let reason)? = result else { return nil }
        return reason
    }
}
