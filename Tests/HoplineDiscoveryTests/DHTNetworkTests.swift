import Dispatch
import HoplineDiscovery
import HoplineNet
import XCTest

/// A real OpenDHT network of 20 runners on loopback (one process, one UDP port each): every node publishes a
/// signed presence record and resolves every other by node ID alone; forged, expired and replayed records
/// published next to the real ones are never believed; after a third of the nodes stop, the rest still
/// resolve each other well within the record lifetime.
final class DHTNetworkTests: XCTestCase {
    struct Member {
        let identity: NodeIdentity
        let runner: DHTRunner
        let record: DiscoveryRecord
    }

    /// Starts `count` runners bootstrapped from the first, and publishes each one's presence.
    private func network(_ count: Int) throws -> [Member] {
        let first = try DHTRunner(settings: DHTSettings())
        let bootstrap = DHTBootstrapNode(host: "127.0.0.1", port: first.boundPort)
        var runners = [first]
        for _ in 1..<count {
            let runner = try DHTRunner(settings: DHTSettings(bootstrap: [bootstrap]))
            XCTAssertEqual(runner.bootstrapAndWait(bootstrap, timeoutSeconds: 5), true)
            runners.append(runner)
        }
        let now = WallClock.milliseconds()
        var members: [Member] = []
        for (index, runner) in runners.enumerated() {
            let identity = NodeIdentity.generate()
            let presence = PresenceRecord(candidates: [
                Candidate(kind: .host, address: try PeerAddress(parsing: "127.0.0.1:\(20_000 + index)"))
            ])
            let record = try DiscoveryRecord.signed(
                kind: .presence, by: identity, sequence: now, issuedMilliseconds: now,
                lifetimeMilliseconds: PresenceRecord.lifetimeMilliseconds, body: presence.body())
            members.append(Member(identity: identity, runner: runner, record: record))
        }
        // Publish all at once (each runner's put runs on its own threads), then wait for every answer.
        var operations: [Int] = []
        for member in members { operations.append(try member.runner.put(member.record.serialized(), at: .presence(of: member.identity.nodeID))) }
        for (member, operation) in zip(members, operations) {
            XCTAssertEqual(waitDone(member.runner, operation), true, "presence of \(member.identity.nodeID.abbreviated) stored")
        }
        return members
    }

    private func waitDone(_ runner: DHTRunner, _ operation: Int) -> Bool? {
        let deadline = DispatchTime.now() + 10
        while DispatchTime.now() < deadline {
            for event in runner.events.waitAndDrain(timeoutNanoseconds: 100_000_000) {
                if case .done(operation, let ok) = event { return ok }
            }
        }
        return nil
    }

    /// Every member in `members` looks up every other (all lookups of one member at once) and must find and
    /// verify exactly that member's record. Returns the slowest member's time.
    @discardableResult
    private func resolveAll(_ members: [Member], timeoutSeconds: Double) throws -> Double {
        var slowest = 0.0
        for member in members {
            let others = members.filter { $0.identity.nodeID != member.identity.nodeID }
            let start = DispatchTime.now()
            let found = try member.runner.getMany(others.map { .presence(of: $0.identity.nodeID) }, timeoutSeconds: timeoutSeconds)
            slowest = max(slowest, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            var verifier = RecordVerifier()
            for other in others {
                let values = found.values[.presence(of: other.identity.nodeID)] ?? []
                let record = verifier.newest(of: values, kind: .presence, about: other.identity.nodeID, nowMilliseconds: WallClock.milliseconds())
                XCTAssertEqual(record, other.record, "\(member.identity.nodeID.abbreviated) resolves \(other.identity.nodeID.abbreviated)")
            }
            XCTAssertEqual(verifier.totalRejections, 0)
        }
        return slowest
    }

    func testTwentyNodesResolveEachOtherAndRejectForgedExpiredAndReplayedRecords() throws {
        let members = try network(20)
        defer { for member in members { member.runner.shutdown() } }
        let slowest = try resolveAll(members, timeoutSeconds: 10)
        print("20 nodes: every node resolved the 19 others; slowest node took \(String(format: "%.2f", slowest)) s for its 19 lookups")

        // Mallory publishes under Alice's key: a record with his own key claiming her node ID, her record with
        // an altered candidate, an expired record, and Alice's own older record again (a replay).
        let alice = members[3], mallory = NodeIdentity.generate(), attacker = members[7].runner
        let now = WallClock.milliseconds()
        let evil = PresenceRecord(candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "6.6.6.6:666"))]).body()
        var squatted = try DiscoveryRecord.signed(
            kind: .presence, by: mallory, sequence: now + 1_000_000, issuedMilliseconds: now, lifetimeMilliseconds: 600_000, body: evil)
        squatted.nodeID = alice.identity.nodeID
        var altered = alice.record
        altered.sequence += 1_000_000
        altered.body = evil
        let expired = try DiscoveryRecord.signed(
            kind: .presence, by: alice.identity, sequence: alice.record.sequence - 5, issuedMilliseconds: now - 900_000,
            lifetimeMilliseconds: 600_000, body: evil)
        let older = try DiscoveryRecord.signed(
            kind: .presence, by: alice.identity, sequence: alice.record.sequence - 1, issuedMilliseconds: now - 1_000,
            lifetimeMilliseconds: 600_000, body: evil)
        for forged in [squatted, altered, expired, older] {
            XCTAssertEqual(try attacker.putAndWait(forged.serialized(), at: .presence(of: alice.identity.nodeID), timeoutSeconds: 10), true)
        }
        let reader = members[12].runner
        let found = try reader.getAll(.presence(of: alice.identity.nodeID), timeoutSeconds: 10)
        XCTAssertGreaterThanOrEqual(found.values.count, 5, "the DHT stores what anyone puts")
        var verifier = RecordVerifier()
        XCTAssertEqual(
            verifier.newest(of: found.values, kind: .presence, about: alice.identity.nodeID, nowMilliseconds: WallClock.milliseconds()),
            alice.record, "only Alice's own newest record is believed")
        XCTAssertEqual(verifier.rejections[.keyNotBound], 1)
        XCTAssertEqual(verifier.rejections[.badSignature], 1)
        XCTAssertEqual(verifier.rejections[.expired], 1)
        // A reader that has seen the newer record and is then served only the older one (a DHT node replaying
        // it) counts it as a replay and keeps nothing.
        XCTAssertNil(verifier.newest(of: [older.serialized()], kind: .presence, about: alice.identity.nodeID, nowMilliseconds: WallClock.milliseconds()))
        XCTAssertEqual(verifier.rejections[.replayed], 1)
    }

    func testAfterAThirdOfTheNodesStopTheRestStillResolveEachOther() throws {
        let members = try network(15)
        defer { for member in members { member.runner.shutdown() } }
        // Stop every third node, the bootstrap node among them.
        let stopped = members.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        let survivors = members.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)
        for member in stopped { member.runner.shutdown() }
        let start = DispatchTime.now()
        let slowest = try resolveAll(survivors, timeoutSeconds: 20)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        print("churn: \(stopped.count) of \(members.count) stopped; \(survivors.count) survivors resolved each other in \(String(format: "%.1f", total)) s (slowest node \(String(format: "%.2f", slowest)) s)")
        XCTAssertLessThan(total, Double(PresenceRecord.lifetimeMilliseconds) / 1000, "within the record lifetime")
    }
}
