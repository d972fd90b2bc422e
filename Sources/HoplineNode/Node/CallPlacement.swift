import HoplineCore
import HoplineNet

/// The steps before a call: the callee's node ID (asked of a bare address), its presence and the relay
/// directory from the DHT (a node ID without a rendezvous, `CallPlacement+DHT`), relay sessions (probe every
/// candidate relay, allocate on the best two), and the addresses to try (pinned, given, from the rendezvous,
/// which also introduces this node and its relay sessions to the callee, or from the DHT, where this node
/// puts its own introduction); then the call starts.
///
/// Each step waits for answers through `wait(seconds, ready)`, which keeps the node serving datagrams:
/// `NodeRuntime` runs its socket loop there, tests run a virtual network.
extension NodeCore {
    typealias Wait = (_ seconds: Double, _ ready: () -> Bool) -> Bool

    /// Prepares and starts a call to `target`; the call then runs in `calls`.
    func placeCall(_ target: CallTarget, wait: Wait) throws {
        let peer = try peerID(of: target, wait: wait)
        var found: DHTFindings?
        if case .node(let id) = target, environment.settings.rendezvous == nil, discovery != nil {
            found = try discover(id, wait: wait)
        }
        // Relays named by hand come first; without any, the DHT's relay directory supplies candidates.
        let relayCandidates = environment.settings.relays.isEmpty ? (found?.relays ?? []) : environment.settings.relays
        let relayLinks = openRelaySessions(callee: peer, candidates: relayCandidates, wait: wait)
        let addresses: [PeerAddress]
        if let found {
            addresses = try introduce(to: peer, found: found, relayLinks: relayLinks)
        } else {
            addresses = try directAddresses(of: target, relayLinks: relayLinks, wait: wait)
        }
        try calls.startCall(
            to: peer, label: "\(target)", targets: addresses.map { .direct($0) }, relayLinks: relayLinks,
            now: environment.now())
        let relayNote = relayLinks.compactMap { relays.link($0)?.relay.description }
        environment.event(
            "calling \(peer) at \(addresses.map { "\($0)" }.joined(separator: ", "))"
                + (relayNote.isEmpty ? "" : " and through relay \(relayNote.joined(separator: ", "))"))
    }

    /// Sends a request every 250 ms until its response arrives or `timeout` seconds pass.
    func request(
        to destination: PeerAddress, timeout: Double, wait: Wait, _ make: ([UInt8]) -> ControlPacket
    ) -> ControlPacket? {
        let transaction = NodeEnvironment.newTransaction()
        let bytes = make(transaction).serialized()
        pendingResponses[transaction] = .some(nil)
        defer { pendingResponses[transaction] = nil }
        var nextSend = environment.now()
        var response: ControlPacket?
        _ = wait(timeout) {
            if let answer = pendingResponses[transaction], let answer {
                response = answer
                return true
            }
            if environment.now() >= nextSend {
                environment.send(bytes, to: destination)
                nextSend = environment.now().advanced(byNanoseconds: 250_000_000)
            }
            return false
        }
        return response
    }

    /// The callee's node ID: given, or asked of the node at a bare address (trusted on first use).
    private func peerID(of target: CallTarget, wait: Wait) throws -> NodeID {
        switch target {
        case .node(let id), .pinned(let id, _):
            return id
        case .address(let address):
            guard case .identityResponse(_, let key)? = request(to: address, timeout: 3, wait: wait, { .identityRequest(transaction: $0) }),
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
    private func openRelaySessions(callee: NodeID, candidates: [PeerAddress], wait: Wait) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        let session = calls.pendingSession ?? UInt32.random(in: 1 ... .max)
        calls.pendingSession = session
        var probes: [Int] = []
        for relay in candidates { probes.append(relays.probe(relay, callSession: session, now: environment.now())) }
        _ = wait(1.2) { relays.settled(callSession: session) }
        let answered = probes.compactMap { relays.link($0) }.filter { $0.state == .probed }
        for link in probes.compactMap({ relays.link($0) }) where link.state != .probed {
            environment.event("relay \(link.relay) did not answer; skipping it")
        }
        for id in probes { relays.leave(id) }
        // Best first; a relay that refuses (full, rate limited, draining, ...) or does not answer gives its
        // place to the next one, until the call has its active and standby sessions or none are left.
        var queue = RelayChoice.rank(answered.map {
            RelayChoice.Offer(relay: $0.relay, rttMilliseconds: $0.rttMilliseconds ?? 0, load: $0.load)
        })[...]
        var joined: [Int] = []
        while joined.count < RelayChoice.sessionsPerCall, !queue.isEmpty {
            let batch = queue.prefix(RelayChoice.sessionsPerCall - joined.count)
            queue = queue.dropFirst(batch.count)
            let ids = batch.map { relays.allocate(on: $0, callee: callee.publicKey, callSession: session, now: environment.now()) }
            _ = wait(1.2) { relays.settled(callSession: session) }
            for id in ids {
                guard let link = relays.link(id) else { continue }
                let next = queue.isEmpty ? "" : "; trying the next relay"
                switch link.state {
                case .joined: joined.append(id)
                case .refused(let reason):
                    environment.event("relay \(link.relay) refused the session: \(reason)\(next)")
                    relays.leave(id)
                default:
                    environment.event("relay \(link.relay) did not allocate a session\(next)")
                    relays.leave(id)
                }
            }
        }
        if joined.isEmpty { environment.event("warning: no relay session could be opened; trying direct paths only") }
        return joined
    }

    /// This node's candidates for an introduction: host ones (and the DHT's server-reflexive guess), and a
    /// relayed one, with its token, per relay session.
    func ownCandidates(relayLinks: [Int]) -> [Candidate] {
        var candidates = discovery?.currentCandidates() ?? HostCandidates.gather(local: environment.transport.localAddress)
        for id in relayLinks {
            guard let link = relays.link(id), let token = link.token else { continue }
            candidates.append(Candidate(kind: .relayed, address: link.relay, relayToken: token.bytes))
        }
        return candidates
    }

    /// The addresses to try directly: the pinned or given one, or what the rendezvous says (which also
    /// introduces this node, with its relay sessions, to the callee).
    private func directAddresses(of target: CallTarget, relayLinks: [Int], wait: Wait) throws -> [PeerAddress] {
        switch target {
        case .pinned(_, let address), .address(let address):
            return [address]
        case .node(let id):
            guard let rendezvous = environment.settings.rendezvous else {
                throw CallError.invalidArgument(
                    "calling \(id.abbreviated) by node ID needs --dht-bootstrap HOST:PORT or --rendezvous HOST:PORT "
                        + "(or NODE-ID@HOST:PORT)")
            }
            let candidates = ownCandidates(relayLinks: relayLinks)
            let session = calls.pendingSession ?? UInt32.random(in: 1 ... .max)
            calls.pendingSession = session
            // The rendezvous serves a lookup only with its cookie (proof that this address asked): the first
            // lookup gets the cookie, the second one the answer.
            func lookup(cookie: [UInt8]) -> ControlPacket? {
                request(to: rendezvous, timeout: 3, wait: wait) {
                    .rendezvousLookup(transaction: $0, cookie: cookie, target: id.publicKey, session: session, candidates: candidates)
                }
            }
            var response = lookup(cookie: ControlPacket.noCookie)
            if case .rendezvousCookie(_, let cookie)? = response { response = lookup(cookie: cookie) }
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
