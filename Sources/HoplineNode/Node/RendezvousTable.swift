import HoplineCore
import HoplineNet

/// The registrations a node holds while serving as rendezvous: node static key -> its candidates (with the
/// reflexive address the registration came from), its signing key (bound to the node ID) and when it expires.
///
/// Bounded (`capacity` entries; expired ones are dropped first, then the registration is refused), so a
/// flood of registrations cannot exhaust memory. Not thread-safe: owned by the node's loop thread.
struct RendezvousTable {
    struct Entry {
        var signingKey: [UInt8]
        var timestamp: UInt64
        var candidates: [Candidate]
        var observed: PeerAddress
        var expires: ClockInstant
    }

    static let lifetimeSeconds: UInt16 = 60
    let capacity = 4_096
    private(set) var entries: [[UInt8]: Entry] = [:]

    enum Refusal: Error { case badSignature, unboundKey, replayed, full }

    /// Checks and stores a registration that arrived from `observed` at `now`: its signing key must be the
    /// one the node ID binds (so nobody else can register, or squat, that ID), its signature must hold, and
    /// its timestamp must be newer than the live registration's.
    mutating func register(_ registration: RendezvousRegistration, observed: PeerAddress, now: ClockInstant) throws(Refusal) {
        guard let nodeID = try? NodeID(publicKeyBytes: registration.staticKey),
            NodeIdentity.binds(signingKey: registration.signingKey, to: nodeID)
        else { throw .unboundKey }
        guard NodeIdentity.verify(
            signature: registration.signature, for: registration.signedBytes, signingPublicKey: registration.signingKey)
        else { throw .badSignature }
        if let existing = entries[registration.staticKey], existing.expires > now {
            guard registration.timestamp > existing.timestamp else { throw .replayed }
        }
        if entries[registration.staticKey] == nil && entries.count >= capacity {
            entries = entries.filter { $0.value.expires > now }
            guard entries.count < capacity else { throw .full }
        }
        var candidates = registration.candidates.filter { $0.kind == .host || $0.kind == .relayed }.prefix(8).map { $0 }
        candidates.append(Candidate(kind: .serverReflexive, address: observed))
        entries[registration.staticKey] = Entry(
            signingKey: registration.signingKey, timestamp: registration.timestamp, candidates: candidates,
            observed: observed, expires: now.advanced(byNanoseconds: Int64(Self.lifetimeSeconds) * 1_000_000_000))
    }

    func lookup(_ staticKey: [UInt8], now: ClockInstant) -> Entry? {
        guard let entry = entries[staticKey], entry.expires > now else { return nil }
        return entry
    }

    func liveCount(now: ClockInstant) -> Int { entries.values.filter { $0.expires > now }.count }
}
