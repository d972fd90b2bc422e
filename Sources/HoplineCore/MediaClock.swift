import Synchronization

/// A source of time for media components: the wall clock in a live call, a virtual clock in the lab and
/// in tests. Every time-dependent component takes one, so tests can drive adaptive timing exactly.
public protocol MediaClock: Sendable {
    /// The current instant on this clock.
    func now() -> ClockInstant
    /// Blocks the calling thread until `deadline` (a virtual clock jumps there instead).
    func sleep(until deadline: ClockInstant)
}

/// A clock that only moves when told to: `sleep(until:)` jumps straight to the deadline.
///
/// Thread-safe; time never moves backwards (sleeping until the past is a no-op).
public final class VirtualClock: MediaClock {
    private let current: Mutex<ClockInstant>

    public init(start: ClockInstant = .zero) {
        current = Mutex(start)
    }

    public func now() -> ClockInstant { current.withLock { $0 } }

    public func sleep(until deadline: ClockInstant) {
        current.withLock { if deadline > $0 { $0 = deadline } }
    }

    /// Moves the clock forward by `nanoseconds` (never backwards).
    public func advance(byNanoseconds nanoseconds: Int64) {
        precondition(nanoseconds >= 0, "a virtual clock does not go backwards")
        current.withLock { $0 = $0.advanced(byNanoseconds: nanoseconds) }
    }
}
