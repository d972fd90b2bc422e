import HoplineCore
import HoplineNet

/// One direction of the loopback lab's network: a path to send on and the inbox at the far end, with the
/// counts the fast (lock-step) mode needs to know that everything sent has come through the socket.
final class LabLink {
    let path: any MediaPath
    let inbox: DatagramInbox
    private(set) var sent = 0
    private(set) var received = 0

    init(path: any MediaPath, inbox: DatagramInbox) {
        self.path = path
        self.inbox = inbox
    }

    func send(_ bytes: [UInt8]) {
        path.send(bytes)
        sent += 1
    }

    /// Everything that has arrived, without waiting (real-time pacing).
    func drain() -> [InboundDatagram] {
        let datagrams = inbox.drain()
        received += datagrams.count
        return datagrams
    }

    /// Waits until every datagram sent so far has arrived (fast pacing). `meanwhile` runs first, always
    /// (whether or not the datagrams are already in, so results do not depend on thread timing), letting
    /// other work overlap the socket round trip.
    func drainAll(meanwhile: () throws -> Void = {}) throws -> [InboundDatagram] {
        try meanwhile()
        var datagrams: [InboundDatagram] = []
        while received < sent {
            // Loopback datagrams take microseconds; the bound only guards against a lost one (a watchdog on
            // the wall clock, generous so a heavily loaded machine does not trip it).
            let batch = inbox.waitAndDrain(timeoutNanoseconds: 10_000_000_000)
            if batch.isEmpty { throw LoopbackError.socketStalled(waitingFor: sent - received) }
            received += batch.count
            datagrams += batch
        }
        return datagrams
    }
}
