import HoplineNet

/// A volunteer relay's entry in the DHT's relay directory: a signed `RelayAnnouncement` put under
/// `DHTKey.relayDirectory` at once, every `refreshMilliseconds` (with the current load), and at once when the
/// relay starts draining. Driven by the relay's own loop; results come back as the runner's events.
public final class RelayAnnouncer {
    public static let refreshMilliseconds: UInt64 = 40_000
    public static let retryMilliseconds: UInt64 = 5_000

    private let runner: DHTRunner
    private let identity: NodeIdentity
    public let address: PeerAddress
    private var sequence = RecordSequence()
    private var nextPut: UInt64 = 0
    private var lastDraining = false
    private var pending: Int?
    /// Announcements stored (`done` with ok) and failed.
    public private(set) var stored = 0
    public private(set) var failed = 0

    public init(runner: DHTRunner, identity: NodeIdentity, address: PeerAddress) {
        self.runner = runner
        self.identity = identity
        self.address = address
    }

    /// Puts the announcement when it is due; handles the runner's events (returns the ones it did not use).
    /// Returns what happened to report (the first stored announcement, failures), or nil.
    public func tick(
        nowMilliseconds now: UInt64, capacity: Int, sessions: Int, draining: Bool
    ) -> String? {
        var note: String?
        for event in runner.events.drain() {
            guard case .done(let operation, let ok) = event, operation == pending else { continue }
            pending = nil
            if ok {
                stored += 1
                if stored == 1 { note = "announced in the DHT relay directory as \(address)" }
            } else {
                failed += 1
                nextPut = now + Self.retryMilliseconds
                note = "the DHT did not store the relay announcement; retrying in \(Self.retryMilliseconds / 1000) s"
            }
        }
        guard now >= nextPut || draining != lastDraining else { return note }
        lastDraining = draining
        let announcement = RelayAnnouncement(
            address: address, capacity: UInt32(clamping: capacity), sessions: UInt32(clamping: sessions), draining: draining)
        do {
            let record = try DiscoveryRecord.signed(
                kind: .relay, by: identity, sequence: sequence.next(nowMilliseconds: now), issuedMilliseconds: now,
                lifetimeMilliseconds: RelayAnnouncement.lifetimeMilliseconds, body: announcement.body())
            pending = try runner.put(record.serialized(), at: .relayDirectory)
            nextPut = now + Self.refreshMilliseconds
        } catch {
            nextPut = now + Self.retryMilliseconds
            return "cannot announce the relay in the DHT: \(error)"
        }
        return note
    }
}
