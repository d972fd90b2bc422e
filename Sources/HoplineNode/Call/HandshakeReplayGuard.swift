import HoplineNet

/// Refuses a replayed message 1: each caller's offers carry a timestamp that only grows (WireGuard's
/// TAI64N), and a message 1 whose timestamp is not newer than the last one taken from that caller is a
/// replay. Retransmissions of a live handshake never get here (the session answers them). Bounded: beyond
/// `capacity` callers the oldest half is forgotten. Owned by the node's loop thread.
struct HandshakeReplayGuard {
    let capacity: Int
    private var latest: [NodeID: UInt64] = [:]

    init(capacity: Int = 4_096) { self.capacity = capacity }

    /// Callers remembered now.
    var count: Int { latest.count }

    /// Takes `timestamp` from `caller` if it is newer than any before; false for a replay.
    mutating func admit(_ timestamp: UInt64, from caller: NodeID) -> Bool {
        if let last = latest[caller], timestamp <= last { return false }
        if latest.count >= capacity {
            let cutoff = latest.values.sorted()[latest.count / 2]
            latest = latest.filter { $0.value > cutoff }
        }
        latest[caller] = timestamp
        return true
    }
}
