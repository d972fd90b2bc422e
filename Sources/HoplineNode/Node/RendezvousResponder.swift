import HoplineCore
import HoplineMedia
import HoplineNet
import Foundation

/// What a node that is not in calls answers on its socket: bind and identity requests, connectivity checks,
/// and the rendezvous service (registrations, lookups, introductions). `hopline relay` plugs it into its
/// relay socket, so every relay is also a rendezvous node.
///
/// Thread-safe: `handle` may be called from the socket's event loop, `counters` from anywhere (one lock,
/// taken once per control packet; media and relay DATA never come here). `@unchecked`: every stored
/// service is touched only under `lock`.
public final class RendezvousResponder: @unchecked Sendable {
    private struct Services {
        var responder: AddressResponder
        var rendezvous: RendezvousService
        var environment: NodeEnvironment
    }

    private let lock = NSLock()
    private var services: Services?
    private let identity: NodeIdentity

    public init(identity: NodeIdentity) { self.identity = identity }

    /// Starts answering through `transport` (the socket the datagrams come from).
    public func attach(to transport: any DatagramTransport) {
        let environment = NodeEnvironment(
            transport: transport, clock: MonotonicClock(), identity: identity,
            settings: NodeSettings(bind: transport.localAddress, showStatusLine: false)) { _ in }
        lock.withLock {
            services = Services(
                responder: AddressResponder(environment: environment),
                rendezvous: RendezvousService(environment: environment), environment: environment)
        }
    }

    /// Handles one datagram; anything that is not a well-formed request is counted and dropped.
    public func handle(_ datagram: InboundDatagram) {
        lock.withLock {
            guard let services else { return }
            guard case .control = DatagramClass.classify(datagram.bytes),
                let packet = try? ControlPacket(parsing: datagram.bytes)
            else {
                services.environment.counters.malformedControl += 1
                return
            }
            if services.responder.answer(packet, from: datagram.source, requestLength: datagram.bytes.count) { return }
            if services.rendezvous.serve(packet, from: datagram.source, at: datagram.arrival) { return }
            services.environment.counters.garbage += 1
        }
    }

    /// The rendezvous counters (registrations, lookups, introductions) and the refused packets.
    public var counters: (rendezvous: RendezvousCounters, refused: NodeCounters) {
        lock.withLock { (services?.rendezvous.counters ?? RendezvousCounters(), services?.environment.counters ?? NodeCounters()) }
    }
}
