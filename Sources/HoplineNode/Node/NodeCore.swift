import HoplineCore
import HoplineDiscovery
import HoplineNet

/// A whole node without its socket and thread: the services that share one UDP port (address responder,
/// rendezvous, registration, relay client, calls) and the demultiplexing that hands each datagram to one.
///
/// Every inbound datagram is classified by its first byte (`DatagramClass`); a relay's DATA is unwrapped and
/// attributed to that relay session's path before the call sees it, anything else arrived on the direct path
/// from its source. `NodeRuntime` drives this over a real socket; tests drive it on a virtual clock.
final class NodeCore {
    let environment: NodeEnvironment
    let responder: AddressResponder
    let rendezvous: RendezvousService
    let relays: RelayLinks
    let calls: CallEngine
    private(set) var registration: RegistrationClient?
    /// This node in the DHT, when bootstrapped (`attachDiscovery`).
    private(set) var discovery: DiscoveryClient?
    /// Responses (bind, identity, lookup, check) to requests the node is waiting for, by transaction.
    var pendingResponses: [[UInt8]: ControlPacket?] = [:]

    init(environment: NodeEnvironment, playSamples: [Float]?) {
        self.environment = environment
        responder = AddressResponder(environment: environment)
        rendezvous = RendezvousService(environment: environment)
        relays = RelayLinks(environment: environment)
        calls = CallEngine(environment: environment, relays: relays, playSamples: playSamples)
    }

    /// Registers at `rendezvous` (listeners), refreshed until the node stops.
    func register(at rendezvous: PeerAddress) {
        let client = RegistrationClient(environment: environment, relays: relays, rendezvous: rendezvous)
        registration = client
        wirePunchStops()
    }

    /// Joins the DHT through `runner`; `publish` (listeners): publish presence and answer connection requests.
    func attachDiscovery(runner: DHTRunner, publish: Bool) {
        let client = DiscoveryClient(runner: runner, environment: environment, relays: relays)
        discovery = client
        client.accepts = { [weak calls] caller in
            guard let policy = calls?.listenPolicy else { return true }
            return policy.acceptFrom.isEmpty || policy.acceptFrom.contains(caller)
        }
        client.isBusy = { [weak calls] in calls?.call.map { $0.phase != .ended } ?? false }
        client.onAnswer = { [weak self] callee, answer in self?.answerArrived(from: callee, answer) }
        wirePunchStops()
        client.start(publish: publish)
    }

    /// A handshake that arrives ends the punching for its session, whoever introduced it.
    private func wirePunchStops() {
        calls.onHandshakeArrived = { [weak registration, weak discovery] session in
            registration?.stopPunching(session: session)
            discovery?.stopPunching(session: session)
        }
    }

    // MARK: inbound

    func handle(_ datagram: InboundDatagram) {
        if case .relay = DatagramClass.classify(datagram.bytes) {
            handleRelay(datagram)
            return
        }
        handle(datagram.bytes, on: .direct(datagram.source), at: datagram.arrival)
    }

    private func handleRelay(_ datagram: InboundDatagram) {
        let packet: RelayPacket
        do {
            packet = try RelayPacket(parsing: datagram.bytes)
        } catch {
            environment.counters.malformedRelay += 1
            return
        }
        if case .data(let channel, let payload) = packet {
            guard relays.joinedLink(relay: datagram.source, channel: channel) != nil else {
                environment.counters.relayUnmatched += 1
                return
            }
            handle(payload, on: .relayed(relay: datagram.source, channel: channel), at: datagram.arrival)
            return
        }
        if let event = relays.handle(packet, from: datagram.source, at: datagram.arrival) {
            calls.relayEvent(event, at: datagram.arrival)
        }
    }

    /// One datagram attributed to `path` (a relay's header already removed).
    private func handle(_ bytes: [UInt8], on path: PathKey, at arrival: ClockInstant) {
        switch DatagramClass.classify(bytes) {
        case .unknown, .relay:
            environment.counters.garbage += 1
        case .srtcp:
            calls.receiveRTCP(bytes, on: path, at: arrival)
        case .srtp:
            calls.receiveMedia(bytes, on: path, at: arrival)
        case .control:
            let packet: ControlPacket
            do {
                packet = try ControlPacket(parsing: bytes)
            } catch {
                environment.counters.malformedControl += 1
                return
            }
            handleControl(packet, length: bytes.count, on: path, at: arrival)
        }
    }

    private func handleControl(_ packet: ControlPacket, length: Int, on path: PathKey, at arrival: ClockInstant) {
        switch packet {
        case .bindResponse(let transaction, _), .identityResponse(let transaction, _),
            .rendezvousLookupResult(let transaction, _, _), .connectivityCheckResponse(let transaction, _, _),
            .rendezvousCookie(let transaction, _):
            if pendingResponses.keys.contains(transaction) { pendingResponses[transaction] = packet }
            return
        default:
            break
        }
        guard case .direct(let source) = path else {
            // Through a relay only the call's own packets are accepted.
            if !calls.receiveControl(packet, on: path, at: arrival) { environment.counters.garbage += 1 }
            return
        }
        if responder.answer(packet, from: source, requestLength: length) {
            // A check may also be the callee punching toward our handshake: a new path for it, which message 1
            // then goes to. Only a padded check counts (no answer larger than what arrived).
            if case .connectivityCheck = packet, length >= ControlPacket.paddedRequestLength {
                _ = calls.receiveControl(packet, on: path, at: arrival)
            }
            return
        }
        if rendezvous.serve(packet, from: source, at: arrival) { return }
        let busy = calls.call.map { $0.phase != .ended } ?? false
        if let registration, registration.handle(packet, from: source, busy: busy) { return }
        _ = calls.receiveControl(packet, on: path, at: arrival)
    }

    // MARK: time

    func tick(now: ClockInstant) {
        for event in relays.tick(now: now) { calls.relayEvent(event, at: now) }
        relays.leaveOrphans(keeping: calls.call?.session ?? calls.pendingSession, now: now)
        calls.tick(now: now)
        registration?.tick(now: now)
        discovery?.tick(now: now)
    }

    func nextDeadline(now: ClockInstant) -> ClockInstant {
        var deadline = calls.nextDeadline(now: now)
        if let relayDeadline = relays.nextDeadline { deadline = min(deadline, relayDeadline) }
        if let registration { deadline = min(deadline, registration.nextDeadline) }
        if let discovery { deadline = min(deadline, discovery.nextDeadline) }
        return max(deadline, now)
    }
}
