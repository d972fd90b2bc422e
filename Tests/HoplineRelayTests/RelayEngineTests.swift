import Crypto
import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore
import XCTest

/// The relay's decision logic on a virtual clock: cookies, tokens, the session table, forwarding only
/// between proven side addresses, NAT rebinding, LEAVE.
final class RelayEngineTests: XCTestCase {
    private let alice = address("198.51.100.1:40000")
    private let bob = address("203.0.113.7:50000")
    private let mallory = address("192.0.2.66:40000")

    func testCookieRoundTripAndEpochs() throws {
        var relay = EngineHarness()
        let cookie = relay.cookie(for: alice)
        XCTAssertEqual(cookie.count, 16)
        XCTAssertEqual(relay.cookie(for: alice), cookie, "same epoch, same address: same cookie")
        XCTAssertNotEqual(relay.cookie(for: address("198.51.100.1:40001")), cookie, "the port is covered")
        XCTAssertNotEqual(relay.cookie(for: mallory), cookie)
        let allocate = { (cookie: [UInt8]) in
            RelayPacket.allocate(transaction: [UInt8](repeating: 9, count: 12), cookie: cookie, caller: relay.callerKey, callee: relay.calleeKey)
        }
        // Mallory replays Alice's cookie from his own address: refused, and no session exists.
        XCTAssertEqual(relay.request(allocate(cookie), from: mallory), .refused(transaction: [UInt8](repeating: 9, count: 12), reason: .badCookie))
        XCTAssertEqual(relay.engine.sessionCount, 0)
        // Still good one epoch later (previous secret), gone two epochs later.
        relay.advance(milliseconds: 61_000)
        guard case .joined? = relay.request(allocate(cookie), from: alice) else { return XCTFail("previous epoch's cookie refused") }
        relay.advance(milliseconds: 60_000)
        guard case .refused(_, .badCookie)? = relay.request(allocate(cookie), from: alice) else { return XCTFail("stale cookie accepted") }
        XCTAssertEqual(relay.engine.counters.snapshot().cookiesIssued, 4)
        XCTAssertEqual(relay.engine.counters.snapshot().refusals[.badCookie], 2)
    }

    func testAllocateJoinAndForwardBothWays() throws {
        var relay = EngineHarness()
        let token = try XCTUnwrap(relay.allocate(from: alice)).get()
        XCTAssertEqual(token.channel, 100)
        XCTAssertEqual(token.expiry, relay.now.unixSeconds + 600)
        XCTAssertEqual(token.callerKey, relay.callerKey)
        XCTAssertEqual(token.calleeKey, relay.calleeKey)
        // Before the callee joins, DATA from the caller has nowhere to go.
        XCTAssertNil(relay.forward(token.channel, from: alice))
        XCTAssertEqual(relay.engine.counters.snapshot().drops[.noPeerYet], 1)

        let fresh = try XCTUnwrap(relay.join(token, from: bob)).get()
        XCTAssertEqual(fresh.channel, token.channel)
        XCTAssertEqual(relay.forward(token.channel, from: alice), bob)
        XCTAssertEqual(relay.forward(token.channel, 60, from: bob), alice)
        // Anyone else, on this channel or another, reaches nobody.
        XCTAssertNil(relay.forward(token.channel, from: mallory))
        XCTAssertNil(relay.forward(token.channel, from: address("198.51.100.1:40001")))
        XCTAssertNil(relay.forward(token.channel + 1, from: alice))
        let stats = relay.engine.counters.snapshot()
        XCTAssertEqual(stats.packetsForwarded, 2)
        XCTAssertEqual(stats.bytesForwarded, 160)
        XCTAssertEqual(stats.drops[.unknownSource], 2)
        XCTAssertEqual(stats.drops[.unknownChannel], 1)
        XCTAssertEqual(stats.sessionsActive, 1)
    }

    func testTokensAreCheckedForMacExpiryKeysAndRelay() throws {
        var relay = EngineHarness()
        let token = try XCTUnwrap(relay.allocate(from: alice)).get()

        var forgedKey = token
        forgedKey.calleeKey[0] ^= 1
        XCTAssertEqual(relay.join(forgedKey, from: bob).flatMap { try? $0.get() }, nil)
        XCTAssertEqual(failure(relay.join(forgedKey, from: bob)), .badToken)
        var forgedExpiry = token
        forgedExpiry.expiry += 1_000
        XCTAssertEqual(failure(relay.join(forgedExpiry, from: bob)), .badToken)
        var forgedMac = token
        forgedMac.mac[15] ^= 0x80
        XCTAssertEqual(failure(relay.join(forgedMac, from: bob)), .badToken)

        // Another relay (another secret) does not accept it.
        var other = EngineHarness()
        XCTAssertEqual(failure(other.join(token, from: bob)), .badToken)

        // A valid token past its expiry.
        relay.advance(milliseconds: 30_000)
        _ = relay.forward(token.channel, from: alice)  // keep the session alive
        relay.now.unixSeconds = token.expiry
        XCTAssertEqual(failure(relay.join(token, from: bob)), .expired)
        XCTAssertEqual(relay.engine.counters.snapshot().refusals[.expired], 1)
        XCTAssertEqual(relay.engine.session(token.channel)?.callee, nil)
    }

    func testTokenOfAnEndedSessionCannotJoinALaterOneOnTheSameChannel() throws {
        var relay = EngineHarness(RelayLimits(maxSessions: 1))
        let old = try XCTUnwrap(relay.allocate(from: alice)).get()
        relay.engine.handleRequest(RelayPacket.leave(channel: old.channel).serialized(), from: alice, now: relay.now).map { _ in XCTFail("LEAVE has no reply") }
        XCTAssertEqual(relay.engine.sessionCount, 0)
        // A token relabelled with the next session's channel fails its MAC, and the old channel is gone.
        // (A reused channel after a 2^24 wrap is also bound to the key pair through its fingerprint.)
        let new = try XCTUnwrap(relay.allocate(from: mallory, caller: [UInt8](repeating: 0xEE, count: 32))).get()
        var replayed = old
        replayed.channel = new.channel
        XCTAssertEqual(failure(relay.join(replayed, from: bob)), .badToken, "MAC no longer matches")
        XCTAssertEqual(failure(relay.join(old, from: bob)), .badToken, "no such session")
    }

    func testRetransmittedAllocateGetsTheSameSession() throws {
        var relay = EngineHarness()
        let first = try XCTUnwrap(relay.allocate(from: alice)).get()
        let second = try XCTUnwrap(relay.allocate(from: alice)).get()
        XCTAssertEqual(first.channel, second.channel)
        XCTAssertEqual(relay.engine.sessionCount, 1)
        let elsewhere = try XCTUnwrap(relay.allocate(from: mallory)).get()
        XCTAssertNotEqual(elsewhere.channel, first.channel)
    }

    func testNATRebindingMovesTheSideAndForwardingFollows() throws {
        var relay = EngineHarness()
        let token = try relay.connected(caller: alice, callee: bob)
        XCTAssertEqual(relay.forward(token.channel, from: alice), bob)
        let bobsNewMapping = address("203.0.113.7:50999")
        // Until Bob proves the new mapping, DATA from it is dropped.
        XCTAssertNil(relay.forward(token.channel, from: bobsNewMapping))
        _ = try XCTUnwrap(relay.join(token, side: .callee, from: bobsNewMapping)).get()
        XCTAssertEqual(relay.forward(token.channel, from: alice), bobsNewMapping)
        XCTAssertEqual(relay.forward(token.channel, from: bobsNewMapping), alice)
        XCTAssertNil(relay.forward(token.channel, from: bob), "the old mapping is no longer a side")
        // The caller moves too (a refresh from a new address with the caller's token).
        let alicesNewMapping = address("198.51.100.2:40000")
        _ = try XCTUnwrap(relay.join(token, side: .caller, from: alicesNewMapping)).get()
        XCTAssertEqual(relay.forward(token.channel, from: bobsNewMapping), alicesNewMapping)
        XCTAssertNil(relay.forward(token.channel, from: alice))
    }

    func testLeaveOnlyFromASideAndBothSidesEndTheSession() throws {
        var relay = EngineHarness()
        let token = try relay.connected(caller: alice, callee: bob)
        let leave = RelayPacket.leave(channel: token.channel).serialized()
        XCTAssertNil(relay.engine.handleRequest(leave, from: mallory, now: relay.now))
        XCTAssertEqual(relay.engine.session(token.channel)?.caller, alice)
        XCTAssertNil(relay.engine.handleRequest(leave, from: alice, now: relay.now))
        XCTAssertNil(relay.engine.session(token.channel)?.caller)
        XCTAssertNil(relay.forward(token.channel, from: bob), "nobody to send to")
        XCTAssertNil(relay.engine.handleRequest(leave, from: bob, now: relay.now))
        XCTAssertEqual(relay.engine.sessionCount, 0)
        let stats = relay.engine.counters.snapshot()
        XCTAssertEqual(stats.sessionsLeft, 1)
        XCTAssertEqual(stats.sessionsActive, 0)
        XCTAssertEqual(stats.drops[.unknownSource], 1)
    }

    func testRelayToClientPacketsAndGarbageAreDropped() {
        let relay = EngineHarness()
        let load = RelayLoad(sessions: 0, capacity: 1, draining: false)
        let unexpected: [RelayPacket] = [
            .cookie(transaction: [UInt8](repeating: 1, count: 12), cookie: [UInt8](repeating: 2, count: 16), load: load),
            .refused(transaction: [UInt8](repeating: 1, count: 12), reason: .full),
            .drain(channel: 1),
        ]
        for packet in unexpected { XCTAssertNil(relay.engine.handleRequest(packet.serialized(), from: alice, now: relay.now)) }
        XCTAssertNil(relay.engine.handleRequest([0x41] + [UInt8](repeating: 0, count: 20), from: alice, now: relay.now))
        XCTAssertNil(relay.engine.handleRequest([0x4F, 1, 2], from: alice, now: relay.now))
        let stats = relay.engine.counters.snapshot()
        XCTAssertEqual(stats.drops[.unexpected], 3)
        XCTAssertEqual(stats.drops[.malformed], 2)
        XCTAssertEqual(stats.cookiesIssued, 0)
    }

    private func failure(_ result: Result<RelayToken, RelayRefusal>?) -> RelayRefusal? {
        guard case .failure(let reason)? = result else { return nil }
        return reason
    }
}
