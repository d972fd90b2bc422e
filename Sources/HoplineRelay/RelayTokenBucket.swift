import HoplineCore

/// A token bucket in bytes: refills at `bytesPerSecond` up to one second's worth (`burst`), and each
/// datagram takes its length. A rate of zero means unlimited. A value type: the owner mutates it in place.
public struct RelayTokenBucket: Sendable {
    public let bytesPerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var last: Int64

    public init(kbps: Int, now: ClockInstant) {
        bytesPerSecond = Double(kbps) * 1000 / 8
        burst = max(bytesPerSecond, 1_500)
        tokens = burst
        last = now.nanoseconds
    }

    public var isUnlimited: Bool { bytesPerSecond == 0 }

    /// Takes `bytes` if the bucket holds them; false (and nothing taken) otherwise.
    public mutating func take(_ bytes: Int, now: ClockInstant) -> Bool {
        if bytesPerSecond == 0 { return true }
        let elapsed = now.nanoseconds - last
        if elapsed > 0 {
            tokens = min(burst, tokens + Double(elapsed) * bytesPerSecond / 1e9)
            last = now.nanoseconds
        }
        guard tokens >= Double(bytes) else { return false }
        tokens -= Double(bytes)
        return true
    }
}
