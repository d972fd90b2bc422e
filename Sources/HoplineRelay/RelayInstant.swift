#if canImport(Glibc)
import Glibc
#endif
import HoplineCore

/// One reading of the relay's two clocks: a monotonic instant for timers, buckets and cookie epochs, and
/// wall-clock unix seconds for token expiries (tokens outlive a process's monotonic origin).
public struct RelayInstant: Equatable, Sendable {
    public var monotonic: ClockInstant
    public var unixSeconds: UInt32

    public init(monotonic: ClockInstant, unixSeconds: UInt32) {
        self.monotonic = monotonic
        self.unixSeconds = unixSeconds
    }

    /// The same instant `milliseconds` later on both clocks (for virtual clocks in tests).
    public func advanced(byMilliseconds milliseconds: Double) -> RelayInstant {
        let monotonic = self.monotonic.advanced(byMilliseconds: milliseconds)
        let start = Double(self.monotonic.nanoseconds) / 1e9
        let seconds = (Double(monotonic.nanoseconds) / 1e9).rounded(.down) - start.rounded(.down)
        return RelayInstant(monotonic: monotonic, unixSeconds: unixSeconds &+ UInt32(max(0, seconds)))
    }
}

/// Where a relay reads the time. The system clock in production; tests inject a virtual one.
public protocol RelayClock: Sendable {
    func now() -> RelayInstant
}

/// `CLOCK_MONOTONIC` and `CLOCK_REALTIME`.
public struct SystemRelayClock: RelayClock {
    public init() {}

    public func now() -> RelayInstant {
        var monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        return RelayInstant(
            monotonic: ClockInstant(nanoseconds: Int64(monotonic.tv_sec) * 1_000_000_000 + Int64(monotonic.tv_nsec)),
            unixSeconds: UInt32(clamping: wall.tv_sec))
    }
}
