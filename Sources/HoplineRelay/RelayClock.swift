#if canImport(Glibc)
import Glibc
#endif
import HoplineCore

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
