/// The receive side of one direction of a rekeyed call: the key of the current epoch, the keys of epochs the
/// peer announced but has not used yet, and the previous epoch's key for a grace period, so packets sealed
/// just before or just after the peer's switch (reordered, or late) all open. A packet is tried with the
/// current key first, then the announced ones (oldest first), then the previous; the first packet that opens
/// under an announced epoch makes it current and the old current the previous.
///
/// `Key` is whatever opens a packet (a Noise cipher state, an SRTP session). A value type; not for concurrent
/// use. Bounded: at most `maximumAnnounced` announced epochs and one previous epoch are kept.
struct InboundKeyEpochs<Key> {
    /// Announced epochs kept at once; announcing more drops the oldest announced one.
    static var maximumAnnounced: Int { 2 }

    /// The epoch the peer sends in now, as far as this side has seen (0: the handshake's keys).
    private(set) var current: UInt32
    /// Every key kept, ascending by epoch: at most one below `current`, `current`, then the announced ones.
    private var keys: [(epoch: UInt32, key: Key)]

    init(epoch: UInt32 = 0, key: Key) {
        current = epoch
        keys = [(epoch, key)]
    }

    /// The highest epoch announced or in use.
    var newest: UInt32 { keys.last?.epoch ?? current }
    /// Whether the previous epoch's key is still kept (its grace period has not ended).
    var hasPrevious: Bool { keys.first.map { $0.epoch < current } ?? false }
    /// Epochs announced and not yet used by the peer.
    var announcedCount: Int { keys.filter { $0.epoch > current }.count }

    /// Adds the key of an epoch the peer announced (it must be newer than any kept).
    mutating func announce(epoch: UInt32, key: Key) {
        precondition(epoch > newest, "an announced epoch must be newer than any kept")
        keys.append((epoch, key))
        while announcedCount > Self.maximumAnnounced, let oldest = keys.firstIndex(where: { $0.epoch > current }) {
            keys.remove(at: oldest)
        }
    }

    /// Drops the previous epoch's key (its grace period is over).
    mutating func retirePrevious() { keys.removeAll { $0.epoch < current } }

    /// Tries each key in turn: `attempt` returns nil when the packet is not sealed with that key (try the
    /// next), or a result to keep (opened, or refused for good, e.g. a replay). Returns the result and the
    /// epoch that gave it, or nil when no key recognised the packet. Opening under an announced epoch makes
    /// it current.
    mutating func open<Value, Failure: Error>(_ attempt: (Key) -> Result<Value, Failure>?)
        -> (result: Result<Value, Failure>, epoch: UInt32)?
    {
        guard let currentIndex = keys.firstIndex(where: { $0.epoch == current }) else { return nil }
        var order = [currentIndex]
        order += (currentIndex + 1..<keys.count)
        order += (0..<currentIndex).reversed()
        for index in order {
            guard let result = attempt(keys[index].key) else { continue }
            let epoch = keys[index].epoch
            if case .success = result, epoch > current { promote(to: epoch) }
            return (result, epoch)
        }
        return nil
    }

    /// `epoch` is in use by the peer: it becomes current, the old current the previous; older and skipped
    /// epochs are dropped.
    private mutating func promote(to epoch: UInt32) {
        let previous = current
        current = epoch
        keys.removeAll { $0.epoch < previous || ($0.epoch > previous && $0.epoch < epoch) }
    }
}
