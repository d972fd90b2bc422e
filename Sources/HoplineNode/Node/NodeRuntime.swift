import Foundation
import HoplineAudio
import HoplineCore
import HoplineMedia
import HoplineNet
import NIOPosix

/// A Hopline node in a process: one UDP socket carrying signaling, address discovery, rendezvous, relay
/// sessions and SRTP media, and one loop thread that drives the node's services (`NodeCore`) with the
/// monotonic clock. `listen` answers calls until stopped; `call` places one.
///
/// Threading: the socket's event loop only queues datagrams (`DatagramInbox`); everything else, including
/// media pacing, runs on the thread that called `listen` or `call`. Live audio devices are reached only
/// through lock-free rings, so the real-time callback never waits for this thread.
public final class NodeRuntime {
    public let settings: NodeSettings
    public let identity: NodeIdentity
    private let clock = MonotonicClock()
    private let group: MultiThreadedEventLoopGroup
    private let inbox = DatagramInbox()
    private let socket: UDPTransport
    private let stop: StopSignal
    private let core: NodeCore
    private let status: StatusReporter

    /// Binds the socket. `log` gets one line per event (ringing, connected, path changes, ended, warnings).
    public init(
        settings: NodeSettings, identity: NodeIdentity, stop: StopSignal, log: @escaping (String) -> Void
    ) throws {
        self.settings = settings
        self.identity = identity
        self.stop = stop
        // libsrtp2 runs its crypto self-tests on initialisation (tens of ms): do it now, not as a call connects.
        do {
            try SRTPLibrary.initialize()
        } catch {
            throw CallError.setupFailed("\(error)")
        }
        let playSamples = try settings.playPath.map { path in
            do { return try FileAudioSource.load(path: path) } catch { throw CallError.invalidArgument("--play: \(error)") }
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = self.inbox
        do {
            socket = try UDPTransport.bind(to: settings.bind, group: group, clock: clock) { inbox.push($0) }
        } catch {
            try? group.syncShutdownGracefully()
            throw CallError.setupFailed("\(error)")
        }
        do {
            status = try StatusReporter(settings: settings, start: clock.now())
        } catch {
            socket.close()
            try? group.syncShutdownGracefully()
            throw error
        }
        let environment = NodeEnvironment(transport: socket, clock: clock, identity: identity, settings: settings) { _ in }
        core = NodeCore(environment: environment, playSamples: playSamples)
        environment.eventSink = { [status] line in
            status.clearLine()
            log(line)
        }
    }

    deinit {
        socket.close()
        try? group.syncShutdownGracefully()
    }

    /// The address the socket is bound to.
    public var localAddress: PeerAddress { socket.localAddress }

    private var environment: NodeEnvironment { core.environment }

    /// Answers calls (and serves as a rendezvous for other nodes) until SIGINT/SIGTERM.
    public func listen(policy: ListenPolicy) throws {
        let calls = core.calls
        calls.listenPolicy = policy
        calls.releasesEndedCalls = true
        if !policy.autoAnswer { calls.prompt = TerminalPrompt() }
        environment.event("listening on \(socket.localAddress) as \(identity.nodeID)")
        if let rendezvous = settings.rendezvous { core.register(at: rendezvous) }
        run { [stop] in
            guard stop.caught != nil else { return false }
            if let call = calls.call, call.phase != .ended, call.phase != .closing { calls.hangUp(call, reason: .interrupted) }
            return calls.call == nil || calls.call?.phase == .ended
        }
    }

    /// Places one call and returns when it ends; throws `CallError` when it could not be made or failed.
    public func call(_ target: CallTarget) throws {
        let peer = try peerID(of: target)
        let relayLinks = try openRelaySessions(callee: peer)
        let addresses = try directAddresses(of: target, peer: peer, relayLinks: relayLinks)
        let calls = core.calls
        try calls.startCall(
            to: peer, label: "\(target)", targets: addresses.map { .direct($0) }, relayLinks: relayLinks, now: clock.now())
        let relayNote = relayLinks.compactMap { core.relays.link($0)?.relay.description }
        environment.event(
            "calling \(peer) at \(addresses.map { "\($0)" }.joined(separator: ", "))"
                + (relayNote.isEmpty ? "" : " and through relay \(relayNote.joined(separator: ", "))"))
        var outcome: CallError?
        run { [stop] in
            guard let call = calls.call else { return true }
            if stop.caught != nil, call.phase != .closing, call.phase != .ended { calls.hangUp(call, reason: .interrupted) }
            if call.phase == .ended {
                outcome = call.failure
                return true
            }
            return false
        }
        if let outcome { throw outcome }
    }

    /// The node's loop: wait for datagrams or the next deadline, handle both, until `done` says so.
    private func run(until done: () -> Bool) {
        while true {
            let now = clock.now()
            let deadline = min(core.nextDeadline(now: now), status.nextReport)
            let wait = max(0, deadline.nanoseconds - now.nanoseconds)
            for datagram in inbox.waitAndDrain(timeoutNanoseconds: UInt64(wait)) { core.handle(datagram) }
            let later = clock.now()
            core.tick(now: later)
            status.tick(now: later, core: core, socket: socket.statistics)
            if done() { break }
        }
        status.report(now: clock.now(), core: core, socket: socket.statistics, final: true)
        core.calls.finishCall()
        status.clearLine()
    }

    /// Runs the loop (serving every datagram) until `ready` or `timeout` seconds pass; false on timeout or stop.
    private func wait(seconds timeout: Double, until ready: () -> Bool) -> Bool {
        let start = clock.now()
        while stop.caught == nil {
            if ready() { return true }
            let now = clock.now()
            if now.milliseconds(since: start) >= timeout * 1000 { return false }
            for datagram in inbox.waitAndDrain(timeoutNanoseconds: 10_000_000) { core.handle(datagram) }
            core.tick(now: clock.now())
        }
        return false
    }

    /// Sends a request every 250 ms until its response arrives or `timeout` seconds pass.
    private func request(to destination: PeerAddress, timeout: Double, _ make: ([UInt8]) -> ControlPacket) -> ControlPacket? {
        let transaction = NodeEnvironment.newTransaction()
        let bytes = make(transaction).serialized()
        core.pendingResponses[transaction] = .some(nil)
        defer { core.pendingResponses[transaction] = nil }
        var nextSend = clock.now()
        var response: ControlPacket?
        _ = wait(seconds: timeout) {
            if let answer = core.pendingResponses[transaction], let answer {
                response = answer
                return true
            }
            if clock.now() >= nextSend {
                socket.send(bytes, to: destination)
                nextSend = clock.now().advanced(byNanoseconds: 250_000_000)
            }
            return false
        }
        return response
    }
}

// MARK: - Before the call

extension NodeRuntime {
    /// The callee's node ID: given, or asked of the node at a bare address (trusted on first use).
    private func peerID(of target: CallTarget) throws -> NodeID {
        switch target {
        case .node(let id), .pinned(let id, _):
            return id
        case .address(let address):
            guard case .identityResponse(_, let key)? = request(to: address, timeout: 3, { .identityRequest(transaction: $0) }),
                let id = try? NodeID(publicKeyBytes: key)
            else {
                throw CallError.identityUnreachable("\(address)", seconds: 3)
            }
            environment.event("warning: trusting node ID \(id) at \(address) on first use; call \(id)@\(address) to pin it")
            return id
        }
    }

    /// With candidate relays: probes each (RTT, load), allocates a session on the best two (active and
    /// standby), and returns their links. Relays that do not answer or refuse are skipped with a note.
    private func openRelaySessions(callee: NodeID) throws -> [Int] {
        guard !settings.relays.isEmpty else { return [] }
        let relays = core.relays
        let session = UInt32.random(in: 1 ... .max)
        core.calls.pendingSession = session
        var probes: [Int] = []
        for relay in settings.relays { probes.append(relays.probe(relay, callSession: session, now: clock.now())) }
        _ = wait(seconds: 1.2) { relays.settled(callSession: session) }
        let answered = probes.compactMap { relays.link($0) }.filter { $0.state == .probed }
        for link in probes.compactMap({ relays.link($0) }) where link.state != .probed {
            environment.event("relay \(link.relay) did not answer; skipping it")
        }
        var chosen: [Int] = []
        for relay in RelayChoice.rank(answered.map { RelayChoice.Offer(relay: $0.relay, rttMilliseconds: $0.rttMilliseconds ?? 0, load: $0.load) }).prefix(RelayChoice.sessionsPerCall) {
            chosen.append(relays.allocate(on: relay, callee: callee.publicKey, callSession: session, now: clock.now()))
        }
        for id in probes { relays.leave(id) }
        _ = wait(seconds: 1.2) { relays.settled(callSession: session) }
        var joined: [Int] = []
        for id in chosen {
            guard let link = relays.link(id) else { continue }
            switch link.state {
            case .joined: joined.append(id)
            case .refused(let reason): environment.event("relay \(link.relay) refused: \(reason)")
            default: environment.event("relay \(link.relay) did not allocate a session")
            }
        }
        if joined.isEmpty { environment.event("warning: no relay session could be opened; trying direct paths only") }
        return joined
    }

    /// The addresses to try directly: the pinned or given one, or what the rendezvous says (which also
    /// introduces this node, with its relay sessions, to the callee).
    private func directAddresses(of target: CallTarget, peer: NodeID, relayLinks: [Int]) throws -> [PeerAddress] {
        switch target {
        case .pinned(_, let address), .address(let address):
            return [address]
        case .node(let id):
            guard let rendezvous = settings.rendezvous else {
                throw CallError.invalidArgument(
                    "calling \(id.abbreviated) by node ID needs --rendezvous HOST:PORT (or NODE-ID@HOST:PORT)")
            }
            var candidates = HostCandidates.gather(local: socket.localAddress)
            for id in relayLinks {
                guard let link = core.relays.link(id), let token = link.token else { continue }
                candidates.append(Candidate(kind: .relayed, address: link.relay, relayToken: token.bytes))
            }
            let session = core.calls.pendingSession ?? UInt32.random(in: 1 ... .max)
            core.calls.pendingSession = session
            let response = request(to: rendezvous, timeout: 3) {
                .rendezvousLookup(transaction: $0, target: id.publicKey, session: session, candidates: candidates)
            }
            guard case .rendezvousLookupResult(_, let found, let theirs)? = response else {
                throw CallError.rendezvousUnreachable("\(rendezvous)", seconds: 3)
            }
            guard found, !theirs.isEmpty else {
                throw CallError.notRegistered(nodeID: id.abbreviated, rendezvous: "\(rendezvous)")
            }
            environment.event("rendezvous \(rendezvous): \(id.abbreviated) has candidates \(theirs.map { "\($0)" }.joined(separator: ", "))")
            // Server-reflexive first: behind NATs it is the one that works; host candidates serve a shared LAN.
            let ordered = theirs.filter { $0.kind != .host && $0.kind != .relayed } + theirs.filter { $0.kind == .host }
            var addresses: [PeerAddress] = []
            for candidate in ordered where !addresses.contains(candidate.address) { addresses.append(candidate.address) }
            return addresses
        }
    }
}
