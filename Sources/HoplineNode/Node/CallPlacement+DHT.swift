import HoplineCore
import HoplineDiscovery
import HoplineNet

/// What the DHT says about a callee: its verified presence (candidates, the record's age) and the relays
/// the directory lists (usable ones, least loaded first).
struct DHTFindings {
    var callee: NodeID
    var candidates: [Candidate]
    var ageMilliseconds: UInt64
    var relays: [PeerAddress]
}

/// Calling a node ID through the DHT: resolve and verify its presence record (and read the relay
/// directory at the same time), put a sealed connection request the callee listens for, and take its
/// answer's candidates as more handshake targets.
extension NodeCore {
    static let dhtBootstrapSeconds = 3.0
    static let dhtLookupSeconds = 5.0
    /// How much longer the relay directory may take once the presence lookup is done (an empty directory is
    /// only "done" once every node asked has answered, departed ones after a timeout).
    static let dhtDirectoryGraceSeconds = 0.15
    /// How long a lookup goes on once it holds a valid record (a newer one may still come).
    static let dhtSettleSeconds = 0.03
    /// Relays from the directory probed for one call, at most.
    static let dhtRelayCandidates = 6

    func discover(_ id: NodeID, wait: Wait) throws -> DHTFindings {
        guard let discovery else { throw CallError.notInDHT(nodeID: id.abbreviated, reason: "the DHT is not running") }
        if discovery.bootstrapState == .pending {
            _ = wait(Self.dhtBootstrapSeconds) { discovery.bootstrapState != .pending }
        }
        guard discovery.bootstrapState == .answered else {
            throw CallError.notInDHT(
                nodeID: id.abbreviated, reason: "no bootstrap node answered within \(Int(Self.dhtBootstrapSeconds)) s")
        }
        let start = environment.now()
        // The request goes out after the lookups (and relay sessions): get its key's search and the answer's
        // listen going now.
        let session = calls.pendingSession ?? UInt32.random(in: 1 ... .max)
        calls.pendingSession = session
        discovery.prepareRequest(to: id, session: session, now: start)
        guard let presenceLookup = discovery.lookup(.presence(of: id)) else {
            throw CallError.notInDHT(nodeID: id.abbreviated, reason: "the DHT runner has stopped")
        }
        let directoryLookup = environment.settings.relays.isEmpty ? discovery.lookup(.relayDirectory) : nil
        defer {
            discovery.finishLookup(presenceLookup)
            if let directoryLookup { discovery.finishLookup(directoryLookup) }
        }
        // OpenDHT finishes a lookup only when every node asked has answered or timed out (a node that left
        // costs a timeout): go on once a valid record has been in hand for `dhtSettleSeconds`.
        _ = wait(Self.dhtLookupSeconds) { settled(presenceLookup, kind: .presence, about: id, discovery: discovery) }
        let values = discovery.lookupState(presenceLookup)?.values ?? []
        let rejectedBefore = discovery.verifier.rejections
        let found = discovery.presence(of: id, in: values)
        let resolvedMilliseconds = environment.now().milliseconds(since: start)
        var relays: [PeerAddress] = []
        if let directoryLookup {
            _ = wait(Self.dhtDirectoryGraceSeconds) { settled(directoryLookup, kind: .relay, about: nil, discovery: discovery) }
            let announcements = discovery.relays(in: discovery.lookupState(directoryLookup)?.values ?? [])
            relays = announcements.prefix(Self.dhtRelayCandidates).map(\.address)
        }
        guard let found else {
            let rejected = discovery.verifier.rejections.compactMap { reason, count -> String? in
                let new = count - (rejectedBefore[reason] ?? 0)
                return new > 0 ? "\(reason) \(new)" : nil
            }.sorted()
            throw CallError.notInDHT(
                nodeID: id.abbreviated,
                reason: values.isEmpty
                    ? "no presence record"
                    : "\(values.count) value(s), none valid (rejected: \(rejected.joined(separator: ", ")))")
        }
        let age = WallClock.milliseconds() &- found.record.issuedMilliseconds
        environment.event(
            String(format: "DHT: resolved %@ in %.0f ms: candidates %@ (record %.1f s old)", id.abbreviated, resolvedMilliseconds,
                found.presence.candidates.map { "\($0)" }.joined(separator: ", "), Double(age) / 1000))
        if !relays.isEmpty {
            environment.event("DHT: relay directory lists \(relays.map { "\($0)" }.joined(separator: ", "))")
        }
        return DHTFindings(callee: id, candidates: found.presence.candidates, ageMilliseconds: age, relays: relays)
    }

    /// Whether a lookup is done, or has held a valid record of `kind` for `dhtSettleSeconds` (values are
    /// checked as they arrive; the first valid one starts the clock).
    private func settled(_ lookup: Int, kind: DiscoveryRecord.Kind, about node: NodeID?, discovery: DiscoveryClient) -> Bool {
        guard let state = discovery.lookupState(lookup) else { return true }
        if state.done { return true }
        let now = environment.now()
        if let since = discovery.firstValid[lookup] { return now.milliseconds(since: since) >= Self.dhtSettleSeconds * 1000 }
        let clock = WallClock.milliseconds()
        if state.values.contains(where: { (try? RecordVerifier.check($0, kind: kind, about: node, nowMilliseconds: clock).get()) != nil }) {
            discovery.firstValid[lookup] = now
        }
        return false
    }

    /// Puts this node's sealed connection request (its candidates and relay sessions) for `callee` and
    /// returns the callee's direct addresses to send the handshake to, server-reflexive first.
    func introduce(to callee: NodeID, found: DHTFindings, relayLinks: [Int]) throws -> [PeerAddress] {
        let session = calls.pendingSession ?? UInt32.random(in: 1 ... .max)
        calls.pendingSession = session
        do {
            try discovery?.sendRequest(to: callee, session: session, candidates: ownCandidates(relayLinks: relayLinks))
        } catch {
            throw CallError.setupFailed("cannot put the connection request in the DHT: \(error)")
        }
        let direct = found.candidates.filter { $0.kind == .serverReflexive || $0.kind == .peerReflexive }
            + found.candidates.filter { $0.kind == .host }
        var addresses: [PeerAddress] = []
        for candidate in direct where !addresses.contains(candidate.address) { addresses.append(candidate.address) }
        guard !addresses.isEmpty || !relayLinks.isEmpty else {
            throw CallError.notInDHT(nodeID: callee.abbreviated, reason: "its presence record lists no address and no relay answered")
        }
        return addresses
    }

    /// The callee answered through the DHT: its fresh candidates become handshake targets too.
    func answerArrived(from callee: NodeID, _ answer: Introduction) {
        guard let call = calls.call, call.role == .initiator, call.peerID == callee, call.session == answer.session else { return }
        var added: [PeerAddress] = []
        if call.phase == .handshaking {
            for candidate in answer.candidates where candidate.kind != .relayed {
                let path = PathKey.direct(candidate.address)
                guard !call.handshakeTargets.contains(path) else { continue }
                call.handshakeTargets.append(path)
                call.paths.add(path)
                added.append(candidate.address)
            }
        }
        // The callee has joined this call's relay sessions by now: message 1 again at once on every path,
        // rather than at the next retransmission.
        if call.phase == .handshaking { calls.sendHandshake(call) }
        environment.event(
            "DHT: \(callee.abbreviated) answered the connection request"
                + (added.isEmpty ? "" : "; new candidates \(added.map { "\($0)" }.joined(separator: ", "))"))
    }
}
