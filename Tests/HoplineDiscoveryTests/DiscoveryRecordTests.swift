import HoplineDiscovery
import HoplineNet
import XCTest

/// The signed record formats and their verification: what a reader of the DHT believes and what it rejects.
final class DiscoveryRecordTests: XCTestCase {
    let alice = NodeIdentity.generate()
    let mallory = NodeIdentity.generate()
    let now: UInt64 = 1_800_000_000_000

    private func presence(_ identity: NodeIdentity, sequence: UInt64, issued: UInt64? = nil, lifetime: UInt64 = 600_000) throws -> DiscoveryRecord {
        let body = PresenceRecord(candidates: [
            Candidate(kind: .host, address: try PeerAddress(parsing: "10.0.0.2:4730")),
            Candidate(kind: .serverReflexive, address: try PeerAddress(parsing: "203.0.113.9:4730")),
        ]).body()
        return try DiscoveryRecord.signed(
            kind: .presence, by: identity, sequence: sequence, issuedMilliseconds: issued ?? now, lifetimeMilliseconds: lifetime, body: body)
    }

    func testAPresenceRecordRoundTripsAndVerifiesFromTheNodeIDAlone() throws {
        let record = try presence(alice, sequence: 7)
        let parsed = try DiscoveryRecord(parsing: record.serialized())
        XCTAssertEqual(parsed, record)
        var verifier = RecordVerifier()
        let result = verifier.verify(record.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now + 1)
        let accepted = try result.get()
        XCTAssertEqual(try PresenceRecord(body: accepted.body).candidates.count, 2)
        XCTAssertEqual(verifier.accepted, 1)
        XCTAssertEqual(verifier.totalRejections, 0)
    }

    func testAForgedSignatureIsRejected() throws {
        var record = try presence(alice, sequence: 1)
        record.body[record.body.count - 1] ^= 1  // an altered candidate
        var verifier = RecordVerifier()
        XCTAssertEqual(verifier.verify(record.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.badSignature))
        XCTAssertEqual(verifier.rejections[.badSignature], 1)
    }

    func testASigningKeyTheNodeIDDoesNotBindIsRejected() throws {
        // Mallory signs a record claiming Alice's node ID with his own (valid) key.
        var record = try presence(mallory, sequence: 1)
        record.nodeID = alice.nodeID
        record.signature = try mallory.sign(Array("hopline dht record v1".utf8) + Array(record.serialized().dropLast(64)))
        var verifier = RecordVerifier()
        XCTAssertEqual(verifier.verify(record.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.keyNotBound))
    }

    func testARecordUnderAnotherNodesKeyIsRejected() throws {
        let record = try presence(mallory, sequence: 1)
        var verifier = RecordVerifier()
        XCTAssertEqual(verifier.verify(record.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.wrongNode))
        XCTAssertEqual(verifier.verify(record.serialized(), kind: .relay, about: nil, nowMilliseconds: now), .failure(.wrongKind))
    }

    func testExpiredAndFutureRecordsAreRejected() throws {
        var verifier = RecordVerifier()
        let old = try presence(alice, sequence: 1, issued: now - 700_000)
        XCTAssertEqual(verifier.verify(old.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.expired))
        let future = try presence(alice, sequence: 2, issued: now + 120_000)
        XCTAssertEqual(verifier.verify(future.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.badLifetime))
        let forever = try presence(alice, sequence: 3, lifetime: 100 * 3_600_000)
        XCTAssertEqual(verifier.verify(forever.serialized(), kind: .presence, about: alice.nodeID, nowMilliseconds: now), .failure(.badLifetime))
        XCTAssertEqual(verifier.rejections[.expired], 1)
        XCTAssertEqual(verifier.rejections[.badLifetime], 2)
    }

    func testAnOlderRecordAfterANewerOneIsAReplay() throws {
        var verifier = RecordVerifier()
        let newer = try presence(alice, sequence: 20)
        let older = try presence(alice, sequence: 10)
        XCTAssertNotNil(verifier.newest(of: [newer.serialized()], kind: .presence, about: alice.nodeID, nowMilliseconds: now))
        // The same record again (the DHT returns it from several nodes) is fine; an older one is a replay.
        XCTAssertNotNil(verifier.newest(of: [newer.serialized()], kind: .presence, about: alice.nodeID, nowMilliseconds: now))
        XCTAssertNil(verifier.newest(of: [older.serialized()], kind: .presence, about: alice.nodeID, nowMilliseconds: now))
        XCTAssertEqual(verifier.rejections[.replayed], 1)
        // Within one answer the newest wins and older copies are not counted against anyone.
        var fresh = RecordVerifier()
        let best = fresh.newest(of: [older.serialized(), newer.serialized()], kind: .presence, about: alice.nodeID, nowMilliseconds: now)
        XCTAssertEqual(best?.sequence, 20)
        XCTAssertEqual(fresh.totalRejections, 0)
    }

    func testMalformedValuesAreCountedNotThrown() {
        var verifier = RecordVerifier()
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 3, 50, 160, 300] {
            let junk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertEqual(verifier.verify(junk, kind: .presence, about: nil, nowMilliseconds: now), .failure(.malformed))
        }
        XCTAssertEqual(verifier.rejections[.malformed], 6)
    }

    func testAConnectionRequestOpensOnlyForItsRecipient() throws {
        let bob = NodeIdentity.generate()
        let request = Introduction(session: 0xDEAD_BEEF, candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "10.1.1.1:5000"))])
        let body = try request.sealedBody(from: alice.nodeID, to: bob.nodeID, kind: .request)
        XCTAssertEqual(Introduction.open(body, from: alice.nodeID, as: bob, kind: .request), request)
        XCTAssertNil(Introduction.open(body, from: alice.nodeID, as: mallory, kind: .request), "someone else cannot read it")
        XCTAssertNil(Introduction.open(body, from: mallory.nodeID, as: bob, kind: .request), "bound to its sender")
        XCTAssertNil(Introduction.open(body, from: alice.nodeID, as: bob, kind: .answer), "bound to its kind")
        var tampered = body
        tampered[70] ^= 1
        XCTAssertNil(Introduction.open(tampered, from: alice.nodeID, as: bob, kind: .request))
    }

    func testARelayAnnouncementRoundTrips() throws {
        let announcement = RelayAnnouncement(address: try PeerAddress(parsing: "198.51.100.1:4740"), capacity: 1000, sessions: 12, draining: true)
        XCTAssertEqual(try RelayAnnouncement(body: announcement.body()), announcement)
        var bad = announcement.body()
        bad[bad.count - 1] = 7
        XCTAssertThrowsError(try RelayAnnouncement(body: bad))
    }

    func testKeysAreDistinctPerKindAndNode() {
        let keys: Set<DHTKey> = [
            .presence(of: alice.nodeID), .presence(of: mallory.nodeID), .introductions(to: alice.nodeID),
            .answer(to: alice.nodeID, session: 1), .answer(to: alice.nodeID, session: 2), .relayDirectory,
        ]
        XCTAssertEqual(keys.count, 6)
        XCTAssertEqual(DHTKey.relayDirectory.bytes.count, 20)
    }

    func testBootstrapNodesParseOrSayWhatIsWrong() throws {
        XCTAssertEqual(try DHTBootstrapNode(parsing: "127.0.0.1:4222"), DHTBootstrapNode(host: "127.0.0.1", port: 4222))
        XCTAssertEqual(try DHTBootstrapNode(parsing: "[::1]:4222").host, "::1")
        XCTAssertEqual(try DHTBootstrapNode(parsing: "boot.example.org:4222").description, "boot.example.org:4222")
        XCTAssertThrowsError(try DHTBootstrapNode(parsing: "127.0.0.1")) { error in
            XCTAssertEqual("\(error)", "invalid DHT bootstrap node '127.0.0.1': expected HOST:PORT")
        }
        XCTAssertThrowsError(try DHTBootstrapNode(parsing: "host:99999"))
    }
}
