import HoplineNet
import Synchronization

/// Whether a call's SRTP datagrams may wait in the node's inbox for the loop's next wake-up instead of waking it.
///
/// The loop thread turns it on while a call's media flows both ways (then the loop wakes at least every playout
/// period, which is when received audio is needed; the socket thread has already stamped each datagram's
/// arrival time), and off otherwise, so a first media packet that proves the peer live is handled at once.
/// Control, relay and RTCP datagrams always wake the loop. Thread-safe: read on the socket's event loop.
final class QuietMediaSwitch: Sendable {
    private let on = Atomic<Bool>(false)

    /// Set by the loop thread after each pass.
    func set(_ quiet: Bool) { on.store(quiet, ordering: .relaxed) }

    /// Whether `datagram` should wake the loop thread.
    func wakes(_ datagram: InboundDatagram) -> Bool {
        guard on.load(ordering: .relaxed) else { return true }
        return DatagramClass.classify(datagram.bytes) != .srtp
    }
}
