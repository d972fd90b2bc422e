import HoplineDiscovery
import HoplineNet

/// DHT values, which anyone can put under any key: what a node does with each one it reads.
extension FuzzTarget {
    /// A fixed recipient for sealed introductions, so the fuzzer can reach the decryption path's parsing.
    static let dhtRecipient = try! NodeIdentity(seed: [UInt8](repeating: 7, count: 32))
    static let dhtSender = try! NodeIdentity(seed: [UInt8](repeating: 9, count: 32))

    /// `DiscoveryRecord(parsing:)` (round trip), `RecordVerifier` for every kind as a reader runs it (a single
    /// value and a whole key's worth), the bodies (`PresenceRecord`, `RelayAnnouncement`, round trips) and
    /// `Introduction.open` with a fixed identity.
    static let dht = FuzzTarget("dht") { bytes in
        let now: UInt64 = 1_800_000_000_000
        if let record = try? DiscoveryRecord(parsing: bytes) {
            fuzzCheck((try? DiscoveryRecord(parsing: record.serialized())) == record, "DHT record round trip")
            _ = Introduction.open(record.body, from: record.nodeID, as: dhtRecipient, kind: record.kind)
        }
        var verifier = RecordVerifier()
        for kind in DiscoveryRecord.Kind.allCases {
            _ = verifier.verify(bytes, kind: kind, about: nil, nowMilliseconds: now)
            _ = verifier.newest(of: [bytes, bytes], kind: kind, about: dhtSender.nodeID, nowMilliseconds: now)
        }
        _ = verifier.newestPerNode(of: [bytes], kind: .relay, nowMilliseconds: now)
        if let presence = try? PresenceRecord(body: bytes) {
            fuzzCheck((try? PresenceRecord(body: presence.body())) == presence, "presence round trip")
        }
        if let announcement = try? RelayAnnouncement(body: bytes) {
            fuzzCheck((try? RelayAnnouncement(body: announcement.body())) == announcement, "relay announcement round trip")
        }
        _ = Introduction.open(bytes, from: dhtSender.nodeID, as: dhtRecipient, kind: .request)
    }
}

extension FuzzSeeds {
    /// A record of every kind, signed by `FuzzTarget.dhtSender` (the request and answer sealed to the fixed
    /// recipient), and the bare bodies.
    static func dht() -> [[UInt8]] {
        let sender = FuzzTarget.dhtSender, recipient = FuzzTarget.dhtRecipient
        let now: UInt64 = 1_800_000_000_000
        let presence = PresenceRecord(candidates: candidates).body()
        let relay = RelayAnnouncement(address: address4, capacity: 1000, sessions: 3).body()
        let request = try! Introduction(session: 42, candidates: candidates).sealedBody(from: sender.nodeID, to: recipient.nodeID, kind: .request)
        let answer = try! Introduction(session: 42, candidates: candidates).sealedBody(from: sender.nodeID, to: recipient.nodeID, kind: .answer)
        let records = [(DiscoveryRecord.Kind.presence, presence), (.relay, relay), (.request, request), (.answer, answer)].map { kind, body in
            try! DiscoveryRecord.signed(kind: kind, by: sender, sequence: now, issuedMilliseconds: now, lifetimeMilliseconds: 60_000, body: body)
                .serialized()
        }
        return records + [presence, relay, request]
    }
}
