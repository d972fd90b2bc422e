import HoplineCore

/// Caps the handshake cookies a flooded responder sends to one source: at most `perSecond` in each one-second
/// window (a real caller needs one, and resends message 1 with it). Past that a source's message 1s are
/// dropped without the MAC and the `sendto` a cookie costs, so a flood from one address costs the responder
/// little more than receiving it. Sources seen in a window are remembered up to `capacity`; beyond that new
/// sources are answered unrecorded (as without the limit). Owned by the node's loop thread.
struct CookieReplyLimiter<Source: Hashable> {
    let perSecond: Int
    let capacity: Int
    private var windowStart: ClockInstant?
    private var sent: [Source: Int] = [:]

    init(perSecond: Int = 4, capacity: Int = 4_096) {
        self.perSecond = perSecond
        self.capacity = capacity
    }

    /// Whether `source` may get another cookie at `now` (and counts it if so).
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
