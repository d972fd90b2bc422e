import Dispatch
import Synchronization

/// A thread-safe queue between a socket's event loop and the thread that processes packets (the call's
/// media thread, or the loopback lab's driver), which can drain it or wait for a number of datagrams.
///
/// Bounded: beyond `capacity` the newest datagram is dropped and counted, so a flood cannot exhaust memory.
public final class DatagramInbox: Sendable {
    private let queue: Mutex<[InboundDatagram]>
    private let arrivals = DispatchSemaphore(value: 0)
    private let droppedCount = Atomic<Int>(0)
    public let capacity: Int

    public init(capacity: Int = 4_096) {
        self.capacity = capacity
        queue = Mutex([])
    }

    /// Datagrams dropped because the inbox was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Queues one datagram. Wakes the consumer only when the queue was empty (one semaphore operation per
    /// burst rather than two per datagram, which matters under a flood).
    public func push(_ datagram: InboundDatagram) {
        let (accepted, wasEmpty) = queue.withLock { pending -> (Bool, Bool) in
            guard pending.count < capacity else { return (false, false) }
            pending.append(datagram)
            return (true, pending.count == 1)
        }
        if !accepted {
            droppedCount.add(1, ordering: .relaxed)
        } else if wasEmpty {
            arrivals.signal()
        }
    }

    /// Takes everything queued, oldest first, without waiting.
    public func drain() -> [InboundDatagram] {
        queue.withLock { pending -> [InboundDatagram] in
            let all = pending
            pending.removeAll(keepingCapacity: true)
            return all
        }
    }

    /// Waits until at least one datagram is queued or `timeoutNanoseconds` pass; then drains (empty only on
    /// timeout: a wake-up left over from an earlier `drain` just waits again).
    public func waitAndDrain(timeoutNanoseconds: UInt64) -> [InboundDatagram] {
        let deadline = DispatchTime.now() + .nanoseconds(Int(min(timeoutNanoseconds, UInt64(Int.max))))
        while true {
            let taken = drain()
            if !taken.isEmpty { return taken }
            guard arrivals.wait(timeout: deadline) == .success else { return drain() }
        }
    }
}
