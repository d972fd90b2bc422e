import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// The failover policy on exact times: when a path counts as dead, which path takes over, the return to a
/// direct path, and the callee following the caller.
final class CallPathSetTests: XCTestCase {
    private let direct = PathKey.direct(try! PeerAddress(parsing: "192.0.2.10:4730"))
    private let relayA = PathKey.relayed(relay: try! PeerAddress(parsing: "198.51.100.1:4740"), channel: 7)
    private let relayB = PathKey.relayed(relay: try! PeerAddress(parsing: "198.51.100.2:4740"), channel: 9)

    private func at(_ ms: Double) -> ClockInstant { ClockInstant.milliseconds(1_000 + ms) }

    /// Media every 20 ms on `key` from `from` to `to` (exclusive).
    private func media(_ set: inout CallPathSet, _ key: PathKey, from: Double, to: Double) {
        var t = from
        while t < to {
            set.heard(key, at: at(t), media: true)
            t += 20
        }
    }

    func testAPathCarryingMediaIsDeadAfter160MillisecondsOfSilenceAndTheLiveStandbyTakesOver() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.add(relayB)
        media(&set, relayA, from: 0, to: 1_000)  // last packet at 980 ms
        for t in stride(from: 0.0, to: 1_000, by: 250) { set.heard(relayB, at: at(t), media: false) }  // probe echoes
        XCTAssertTrue(set.isAlive(relayA, at: at(980 + 160)))
        XCTAssertNil(set.reselect(at: at(980 + 160)))
        XCTAssertFalse(set.isAlive(relayA, at: at(980 + 161)))
        let change = set.reselect(at: at(980 + 161))
        XCTAssertEqual(change, CallPathSet.Switch(from: relayA, to: relayB, reason: .silent(milliseconds: 161)))
        XCTAssertEqual(set.active, relayB)
        XCTAssertEqual(set.switches, 1)
    }

    func testAPathWithOnlyProbesGetsTheLongerSilenceLimit() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.heard(relayA, at: at(0), media: false)
        XCTAssertTrue(set.isAlive(relayA, at: at(1_500)))
        XCTAssertFalse(set.isAlive(relayA, at: at(1_501)))
        // A lone media packet (after a pause) does not arm the 160 ms rule: it takes a run of three.
        set.heard(relayA, at: at(1_600), media: true)
        XCTAssertTrue(set.isAlive(relayA, at: at(1_600 + 1_000)))
    }

    /// A keepalive (or its echo) that happens to be the last packet before an outage does not slow the
    /// detection; a pause in the peer's media (keepalives only) falls back to the long limit.
    func testTheMediaRuleSurvivesAKeepaliveJustBeforeTheOutageButNotAPauseInMedia() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        media(&set, relayA, from: 0, to: 1_000)  // last media at 980 ms
        set.heard(relayA, at: at(990), media: false)  // a keepalive echo 10 ms later, then nothing
        XCTAssertTrue(set.isAlive(relayA, at: at(990 + 160)))
        XCTAssertFalse(set.isAlive(relayA, at: at(990 + 161)))
        set.heard(relayA, at: at(1_200), media: false)  // media paused (DTX), keepalives go on
        XCTAssertTrue(set.isAlive(relayA, at: at(1_200 + 1_000)), "a media pause is not an outage")
    }

    func testWithNoLivePathTheActiveOneStays() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        media(&set, relayA, from: 0, to: 200)
        XCTAssertNil(set.reselect(at: at(5_000)))
        XCTAssertEqual(set.active, relayA)
    }

    func testADirectPathThatOpensWinsOverARelayAndDirectFailureFallsBackToTheRelay() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.add(direct)
        media(&set, relayA, from: 0, to: 500)
        XCTAssertNil(set.reselect(at: at(500)), "the direct path has not been heard")
        set.heard(direct, at: at(510), media: false)
        XCTAssertEqual(set.reselect(at: at(511)), CallPathSet.Switch(from: relayA, to: direct, reason: .directOpened))
        media(&set, direct, from: 520, to: 1_000)
        for t in stride(from: 500.0, to: 1_000, by: 250) { set.heard(relayA, at: at(t), media: false) }
        XCTAssertEqual(set.reselect(at: at(980 + 161))?.to, relayA, "the direct path broke: back to the relay")
    }

    func testAClearlyFasterRelayTakesOverAndDrainWithdrawsAtOnce() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.add(relayB)
        set.heard(relayA, at: at(0), media: false)
        set.heard(relayB, at: at(0), media: false)
        set.measured(relayA, rttMilliseconds: 120)
        set.measured(relayB, rttMilliseconds: 90)
        XCTAssertNil(set.reselect(at: at(10)), "30 ms faster is within the 50 ms margin")
        set.measured(relayB, rttMilliseconds: 10)  // smoothed: 90 + (10 - 90) / 4 = 70
        XCTAssertEqual(set.paths[relayB]?.rttMilliseconds, 70)
        set.measured(relayB, rttMilliseconds: 10)  // 55
        XCTAssertEqual(set.reselect(at: at(20)), CallPathSet.Switch(from: relayA, to: relayB, reason: .fasterRelay(from: 120, to: 55)))
        set.withdraw(relayB)
        XCTAssertEqual(set.reselect(at: at(30)), CallPathSet.Switch(from: relayB, to: relayA, reason: .withdrawn))
    }

    func testTheCalleeFollowsTheCallersMediaButNotOffALiveDirectPath() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.heard(relayB, at: at(0), media: true)
        XCTAssertEqual(set.follow(relayB, at: at(1)), CallPathSet.Switch(from: relayA, to: relayB, reason: .followingPeer))
        _ = set.activate(direct)
        set.heard(direct, at: at(2), media: true)
        set.heard(relayA, at: at(3), media: true)
        XCTAssertNil(set.follow(relayA, at: at(4)))
    }

    func testProbesGoEvery250MillisecondsOnStandbyAndEverySecondOnTheActivePath() {
        var set = CallPathSet()
        _ = set.activate(relayA)
        set.add(relayB)
        XCTAssertEqual(set.probesDue(at: at(0)), [relayA, relayB], "never probed: both at once")
        set.sent(relayA, at: at(0))
        set.sent(relayB, at: at(0))
        set.heard(relayA, at: at(20), media: false)
        set.heard(relayB, at: at(20), media: false)
        XCTAssertEqual(set.probesDue(at: at(249)), [])
        XCTAssertEqual(set.probesDue(at: at(250)), [relayB])
        XCTAssertEqual(set.probesDue(at: at(1_000)), [relayA, relayB])
    }

    func testRelayChoiceSpreadsLoadAmongEquallyNearRelaysAndSkipsDrainingOnes() throws {
        let r1 = try PeerAddress(parsing: "198.51.100.1:4740"), r2 = try PeerAddress(parsing: "198.51.100.2:4740")
        let r3 = try PeerAddress(parsing: "198.51.100.3:4740"), r4 = try PeerAddress(parsing: "198.51.100.4:4740")
        let offers = [
            RelayChoice.Offer(relay: r1, rttMilliseconds: 5, load: RelayLoad(sessions: 4, capacity: 100, draining: false)),
            RelayChoice.Offer(relay: r2, rttMilliseconds: 12, load: RelayLoad(sessions: 1, capacity: 100, draining: false)),
            RelayChoice.Offer(relay: r3, rttMilliseconds: 80, load: RelayLoad(sessions: 0, capacity: 100, draining: false)),
            RelayChoice.Offer(relay: r4, rttMilliseconds: 1, load: RelayLoad(sessions: 0, capacity: 100, draining: true)),
        ]
        XCTAssertEqual(RelayChoice.rank(offers), [r2, r1, r3])
        // Six calls one after another, each taking the top relay (its load then rises): no relay gets more than 3.
        var load = [r1: UInt32(0), r2: 0, r3: 0]
        for _ in 0..<6 {
            let ranked = RelayChoice.rank(load.keys.sorted { $0.description < $1.description }.map {
                RelayChoice.Offer(relay: $0, rttMilliseconds: 2, load: RelayLoad(sessions: load[$0]!, capacity: 100, draining: false))
            })
            load[ranked[0]]! += 1
        }
        XCTAssertEqual(load.values.max(), 2)
    }
}
