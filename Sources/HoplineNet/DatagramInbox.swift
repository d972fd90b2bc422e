import Dispatch
import Synchronization

/// A thread-safe queue between a socket's event loop and the thread that processes packets (the call's
/// media thread, or the loopback lab's driver), which can drain it or wait for a number of datagrams.
///
/// Bounded: beyond `capacity` the newest datagram is dropped and counted, so a flood cannot exhaust memory.
///
/// A datagram pushed with `wakesConsumer: false` waits, without waking a consumer blocked in `waitAndDrain`,
/// until that consumer wakes for another reason (its deadline or a waking datagram): a call's media, which is
/// only needed at the next playout tick, then costs no extra thread wake-up.
public final class DatagramInbox: Sendable {
    private struct State {
        var pending: [InboundDatagram] = []
        /// Whether the semaphore was signalled since the last drain (one signal per batch).
        var wakePending = false
    }

    private let queue: Mutex<State>
    private let arrivals = DispatchSemaphore(value: 0)
    private let droppedCount = Atomic<Int>(0)
    public let capacity: Int

    public init(capacity: Int = 4_096) {
        self.capacity = capacity
        queue = Mutex(State())
    }

    /// Datagrams dropped because the inbox was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Queues one datagram. With `wakesConsumer`, wakes a waiting consumer unless a wake-up is already on its
    /// way since the last drain (one semaphore operation per burst rather than two per datagram, which
    /// matters under a flood); without, the datagram waits for the consumer's next wake-up.
    public func push(_ datagram: InboundDatagram, wakesConsumer: Bool = true) {
        let (accepted, signal) = queue.withLock { state -> (Bool, Bool) in
            guard state.pending.count < capacity else { return (false, false) }
            state.pending.append(datagram)
            guard wakesConsumer, !state.wakePending else { return (true, false) }
            state.wakePending = true
            return (true, true)
        }
        if !accepted {
            droppedCount.add(1, ordering: .relaxed)
        } else if signal {
            arrivals.signal()
        }
    }

    /// Takes everything queued, oldest first, without waiting.
    public func drain() -> [InboundDatagram] {
        queue.withLock { state -> [InboundDatagram] in
            let all = state.pending
            state.pending.removeAll(keepingCapacity: true)
            state.wakePending = false
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
