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

    public func push(_ datagram: InboundDatagram) {
        let accepted = queue.withLock { pending -> Bool in
            guard pending.count < capacity else { return false }
            pending.append(datagram)
            return true
        }
        if accepted { arrivals.signal() } else { droppedCount.add(1, ordering: .relaxed) }
    }

    /// Takes everything queued, oldest first, without waiting.
    public func drain() -> [InboundDatagram] {
        let taken = queue.withLock { pending -> [InboundDatagram] in
            let all = pending
            pending.removeAll(keepingCapacity: true)
            return all
        }
        for _ in taken { _ = arrivals.wait(timeout: .now()) }
        return taken
    }

    /// Waits until at least one datagram is queued or `timeoutNanoseconds` pass; then drains.
    public func waitAndDrain(timeoutNanoseconds: UInt64) -> [InboundDatagram] {
        guard arrivals.wait(timeout: .now() + .nanoseconds(Int(timeoutNanoseconds))) == .success else { return [] }
        arrivals.signal()  // drain() consumes one signal per datagram, including this one.
        return drain()
    }
}
