import Dispatch
import HoplineDiscovery
import HoplineNet
import XCTest

/// A relay's directory entry on real runners: put at once, not again before the refresh is due, at once when
/// the relay starts draining, and readable (verified) by anyone from the well-known key.
final class RelayAnnouncerTests: XCTestCase {
    func testAnnouncementsArePutWhenDueAndWhenDrainingStarts() throws {
        let reader = try DHTRunner(settings: DHTSettings())
        let bootstrap = DHTBootstrapNode(host: "127.0.0.1", port: reader.boundPort)
        let runner = try DHTRunner(settings: DHTSettings(bootstrap: [bootstrap]))
        defer { runner.shutdown(); reader.shutdown() }
        XCTAssertEqual(runner.bootstrapAndWait(bootstrap, timeoutSeconds: 5), true)
        let identity = NodeIdentity.generate()
        let announcer = RelayAnnouncer(runner: runner, identity: identity, address: try PeerAddress(parsing: "198.51.100.1:4740"))
        let start = WallClock.milliseconds()

        func tickUntilNote(at now: UInt64, draining: Bool) -> String? {
            let deadline = DispatchTime.now() + 5
            while DispatchTime.now() < deadline {
                if let note = announcer.tick(nowMilliseconds: now, capacity: 100, sessions: 7, draining: draining) { return note }
                usleep(10_000)
            }
            return nil
        }
        XCTAssertEqual(tickUntilNote(at: start, draining: false), "announced in the DHT relay directory as 198.51.100.1:4740")
        XCTAssertEqual(announcer.stored, 1)
        // Nothing more until the refresh is due ...
        XCTAssertNil(announcer.tick(nowMilliseconds: start + 1_000, capacity: 100, sessions: 7, draining: false))
        usleep(200_000)
        _ = announcer.tick(nowMilliseconds: start + 2_000, capacity: 100, sessions: 7, draining: false)
        XCTAssertEqual(announcer.stored, 1)
        // ... but at once when draining starts.
        _ = announcer.tick(nowMilliseconds: start + 3_000, capacity: 100, sessions: 7, draining: true)
        let deadline = DispatchTime.now() + 5
        while announcer.stored < 2, DispatchTime.now() < deadline {
            _ = announcer.tick(nowMilliseconds: start + 3_001, capacity: 100, sessions: 7, draining: true)
            usleep(10_000)
        }
        XCTAssertEqual(announcer.stored, 2)

        let found = try reader.getAll(.relayDirectory, timeoutSeconds: 5)
        var verifier = RecordVerifier()
        let records = verifier.newestPerNode(of: found.values, kind: .relay, nowMilliseconds: WallClock.milliseconds())
        XCTAssertEqual(records.count, 1, "one entry per relay: the newest")
        let announcement = try RelayAnnouncement(body: try XCTUnwrap(records.first).body)
        XCTAssertEqual(announcement, RelayAnnouncement(address: try PeerAddress(parsing: "198.51.100.1:4740"), capacity: 100, sessions: 7, draining: true))
    }
}
