import HoplineCore

/// Counts new message 1s (for sessions the responder does not know), per one-second window, so a flood
/// switches the responder to cookies (no DH before the source proves its address), per-source limits and
/// silence toward garbage, and a quiet node never asks a caller for one. A person gets a handful of calls a second at most; `threshold` is far above.
struct HandshakeLoadMeter {
    let threshold: Int
    private var windowStart: ClockInstant?
    private var count = 0

    init(threshold: Int = 20) { self.threshold = threshold }

    /// Notes one costly message 1 at `now`; returns whether the responder is busy (it must ask for a cookie).
    mutating func note(at now: ClockInstant) -> Bool {
        if let start = windowStart, now.milliseconds(since: start) < 1_000 {
            count += 1
        } else {
            windowStart = now
            count = 1
        }
        return count > threshold
    }
}
