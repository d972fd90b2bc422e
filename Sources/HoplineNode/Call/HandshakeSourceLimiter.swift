import HoplineCore

/// Caps the message 1s a flooded responder looks at from one source: at most `perSecond` in each one-second
/// window (a real caller sends two: message 1, which gets a cookie, and message 1 again with it). Past that a
/// source's message 1s are dropped before their mac1, cookie or answer is computed, so a flood from one address
/// costs the responder little more than receiving it (WireGuard's per-source handshake rate limit). Sources
/// seen in a window are remembered up to `capacity`; beyond that new sources pass unrecorded (as without the
/// limit). Owned by the node's loop thread.
struct HandshakeSourceLimiter<Source: Hashable> {
    let perSecond: Int
    let capacity: Int
    private var windowStart: ClockInstant?
    private var sent: [Source: Int] = [:]

    init(perSecond: Int = 4, capacity: Int = 4_096) {
        self.perSecond = perSecond
        self.capacity = capacity
    }

    /// Whether another message 1 from `source` may be looked at `now` (and counts it if so).
    mutating func allow(_ source: Source, at now: ClockInstant) -> Bool {
        if windowStart.map({ now.milliseconds(since: $0) >= 1_000 }) ?? true {
            windowStart = now
            sent.removeAll(keepingCapacity: true)
        }
        if let count = sent[source] {
            guard count < perSecond else { return false }
            sent[source] = count + 1
        } else if sent.count < capacity {
            sent[source] = 1
        }
        return true
    }
}
