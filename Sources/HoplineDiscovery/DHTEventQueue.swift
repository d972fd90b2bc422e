import Dispatch
import Synchronization

/// The thread-safe queue between OpenDHT's threads (which run every callback) and the thread that owns the
/// runner: callbacks only `push`; the owner drains, or waits. Bounded: beyond `capacity` the newest event is
/// dropped and counted, so a flood of values cannot exhaust memory.
public final class DHTEventQueue: Sendable {
    private let events = Mutex<[DHTEvent]>([])
    private let arrivals = DispatchSemaphore(value: 0)
    private let droppedCount = Atomic<Int>(0)
    public let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Events dropped because the queue was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    public func push(_ event: DHTEvent) {
        let (accepted, wasEmpty) = events.withLock { pending -> (Bool, Bool) in
            guard pending.count < capacity else { return (false, false) }
            pending.append(event)
            return (true, pending.count == 1)
        }
        if !accepted {
            droppedCount.add(1, ordering: .relaxed)
        } else if wasEmpty {
            arrivals.signal()
        }
    }

    /// Everything queued, oldest first, without waiting.
    public func drain() -> [DHTEvent] {
        events.withLock { pending in
            let all = pending
            pending.removeAll(keepingCapacity: true)
            return all
        }
    }

    /// Waits until an event is queued or `timeoutNanoseconds` pass; then drains (empty on timeout).
    public func waitAndDrain(timeoutNanoseconds: UInt64) -> [DHTEvent] {
        let deadline = DispatchTime.now() + .nanoseconds(Int(min(timeoutNanoseconds, UInt64(Int.max))))
        while true {
            let taken = drain()
            if !taken.isEmpty { return taken }
            guard arrivals.wait(timeout: deadline) == .success else { return drain() }
        }
    }
}
