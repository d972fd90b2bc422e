#if canImport(Glibc)
import Glibc
#endif
import HoplineCore

/// The system's monotonic clock (`CLOCK_MONOTONIC`), for live calls and real-time loopback runs.
/// `sleep(until:)` uses an absolute-deadline sleep, so pacing does not accumulate drift.
public struct MonotonicClock: MediaClock {
    public init() {}

    public func now() -> ClockInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return ClockInstant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    public func sleep(until deadline: ClockInstant) {
        var spec = timespec(
            tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}
