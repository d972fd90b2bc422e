import Foundation
import HoplineCore
import HoplineMedia
import HoplineNet

/// What every service of a node shares: the socket to send on, the clock, the node's identity and settings,
/// the counters of refused packets, and the event log. One per node, owned by the node's loop thread.
///
/// The transport and clock are injected, so the whole node (handshake, signaling, paths, failover) runs on a
/// virtual clock over a simulated network in tests, exactly as it runs over a UDP socket in a process.
final class NodeEnvironment {
    let transport: any DatagramTransport
    let clock: any MediaClock
    let identity: NodeIdentity
    let settings: NodeSettings
    let origin: ClockInstant
    var counters = NodeCounters()
    /// Receives each event line (already stamped with the node's time).
    var eventSink: (String) -> Void

    init(
        transport: any DatagramTransport, clock: any MediaClock, identity: NodeIdentity, settings: NodeSettings,
        eventSink: @escaping (String) -> Void
    ) {
        self.transport = transport
        self.clock = clock
        self.identity = identity
        self.settings = settings
        self.eventSink = eventSink
        origin = clock.now()
    }

    func now() -> ClockInstant { clock.now() }

    /// Logs one event line, stamped with seconds since the node started.
    func event(_ text: String) {
        eventSink(String(format: "[%7.3f s] ", clock.now().seconds - origin.seconds) + text)
    }

    func send(_ bytes: [UInt8], to destination: PeerAddress) { transport.send(bytes, to: destination) }

    /// Sends on one of a call's paths: straight to the peer, or wrapped for a relay session.
    func send(_ bytes: [UInt8], on path: PathKey) {
        switch path {
        case .direct(let remote): transport.send(bytes, to: remote)
        case .relayed(let relay, let channel): transport.send(RelayPacket.dataHeader(channel: channel) + bytes, to: relay)
        }
    }

    static func newTransaction() -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        return (0..<ControlPacket.transactionLength).map { _ in UInt8.random(in: 0 ... .max, using: &random) }
    }
}
