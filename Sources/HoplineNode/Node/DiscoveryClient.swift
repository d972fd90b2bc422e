import HoplineCore
import HoplineDiscovery
import HoplineNet

/// This node in the DHT (README, "Serverless discovery (OpenDHT)"): bootstraps the runner, publishes the
/// node's signed presence (at once, every third of its lifetime, and at once when its addresses change),
/// listens for connection requests and answers them (punching toward the caller and joining its relay
/// sessions), and, for a caller, runs lookups and puts requests. Every value read is checked by a
/// `RecordVerifier` first.
///
/// Owned by the node's loop thread: OpenDHT's callbacks only queue events (`DHTRunner.events`), which
/// `tick` drains.
final class DiscoveryClient {
    enum BootstrapState: Equatable {
        case pending
        case answered
        case unanswered
    }

    /// A lookup's values so far, and whether OpenDHT has finished it.
    struct Lookup {
        var values: [[UInt8]] = []
        var done = false
    }

    static let presenceRefreshNanoseconds = Int64(PresenceRecord.lifetimeMilliseconds / 3) * 1_000_000
    static let addressCheckNanoseconds: Int64 = 2_000_000_000
    static let retryNanoseconds: Int64 = 5_000_000_000
    /// Connection requests acted on per second at most (each costs a few checks and a DHT put).
    static let introductionsPerSecond = 10

    let runner: DHTRunner
    private let environment: NodeEnvironment
    private let relays: RelayLinks
    private(set) var verifier = RecordVerifier()
    private var sequences: [DiscoveryRecord.Kind: RecordSequence] = [:]
    private var bootstrapOperations: Set<Int> = []
    private(set) var bootstrapState = BootstrapState.pending
    private var lookups: [Int: Lookup] = [:]
    /// Lookups started only to warm OpenDHT's search for a key; their values are dropped.
    private var warmUps: Set<Int> = []
    /// When each lookup first held a valid record (`CallPlacement+DHT`).
    var firstValid: [Int: ClockInstant] = [:]
    private var publishing = false
    private var presencePut: Int?
    private(set) var publishedCandidates: [Candidate]?
    private(set) var presenceStored = 0
    private var nextPresence: ClockInstant?
    private var nextAddressCheck: ClockInstant
    private var introductionListen: Int?
    private var answerListens: [Int: (callee: NodeID, session: UInt32, opened: ClockInstant)] = [:]
    private var punches = PunchSchedule()
    /// Requests already acted on (caller and session), with when: forgotten once older than any request can
    /// be valid (its 30 s lifetime plus the verifier's 60 s of allowed skew), so the set stays bounded.
    private var handledIntroductions: [String: ClockInstant] = [:]
    static let handledMemoryNanoseconds: Int64 = 90_000_000_000
    private var introductionWindow: (start: ClockInstant, count: Int)
    /// Requests acted on, and those ignored (busy, not allowed, over the rate).
    private(set) var introductionsHandled = 0
    private(set) var introductionsIgnored = 0

    /// A callee's answer to this node's request arrived (verified and opened).
    var onAnswer: (NodeID, Introduction) -> Void = { _, _ in }
    /// Whether a caller may be introduced (listen's --accept-from).
    var accepts: (NodeID) -> Bool = { _ in true }
    /// Whether this node is in a call (the handshake then answers busy; no punching).
    var isBusy: () -> Bool = { false }

    init(runner: DHTRunner, environment: NodeEnvironment, relays: RelayLinks) {
        self.runner = runner
        self.environment = environment
        self.relays = relays
        nextAddressCheck = environment.now()
        introductionWindow = (environment.now(), 0)
    }

    /// Bootstraps; with `publish` (listeners) also listens for requests and publishes the presence record.
    func start(publish: Bool) {
        environment.event(
            "DHT: runner on UDP port \(runner.boundPort), network \(runner.settings.network); bootstrapping from "
                + runner.settings.bootstrap.map(\.description).joined(separator: ", "))
        for node in runner.settings.bootstrap {
            let operation = runner.bootstrap(node)
            if operation >= 0 { bootstrapOperations.insert(operation) } else {
                environment.event("DHT: bootstrap node \(node) does not resolve")
            }
        }
        if bootstrapOperations.isEmpty { bootstrapState = .unanswered }
        guard publish else { return }
        publishing = true
        do {
            introductionListen = try runner.listen(.introductions(to: environment.identity.nodeID))
        } catch {
            environment.event("DHT: cannot listen for connection requests: \(error)")
        }
        publishPresence(now: environment.now())
    }

    // MARK: loop

    func tick(now: ClockInstant) {
        for event in runner.events.drain() { handle(event, now: now) }
        if publishing {
            if now >= nextAddressCheck {
                nextAddressCheck = now.advanced(byNanoseconds: Self.addressCheckNanoseconds)
                if currentCandidates() != publishedCandidates { publishPresence(now: now) }
            }
            if let next = nextPresence, now >= next { publishPresence(now: now) }
        }
        punches.tick(now: now) { bytes, target in environment.send(bytes, to: target) }
        for (operation, listen) in answerListens where now.milliseconds(since: listen.opened) > Double(Introduction.lifetimeMilliseconds) {
            runner.cancelListen(operation)
            answerListens[operation] = nil
        }
    }

    var nextDeadline: ClockInstant {
        // Events arrive on OpenDHT's threads: look at the queue at least every 20 ms.
        let soon = environment.now().advanced(byNanoseconds: 20_000_000)
        return min(soon, punches.nextDeadline ?? soon)
    }

    private func handle(_ event: DHTEvent, now: ClockInstant) {
        switch event {
        case .done(let operation, let ok):
            if bootstrapOperations.remove(operation) != nil {
                if ok, bootstrapState != .answered {
                    bootstrapState = .answered
                    environment.event("DHT: bootstrap node answered; joined the network")
                    // A put before any peer was known reached nobody: publish again now that there are peers.
                    if publishing { publishPresence(now: now) }
                } else if !ok, bootstrapOperations.isEmpty, bootstrapState == .pending {
                    bootstrapState = .unanswered
                    environment.event("DHT: no bootstrap node answered (OpenDHT keeps retrying)")
                }
            } else if operation == presencePut {
                presencePut = nil
                if ok {
                    presenceStored += 1
                    if presenceStored == 1 { environment.event("DHT: presence record stored") }
                } else {
                    environment.event("DHT: the presence record was not stored; retrying in 5 s")
                    nextPresence = now.advanced(byNanoseconds: Self.retryNanoseconds)
                }
            } else if lookups[operation] != nil {
                lookups[operation]?.done = true
            } else {
                warmUps.remove(operation)
            }
        case .value(let operation, let bytes):
            if !warmUps.contains(operation) { lookups[operation]?.values.append(bytes) }
        case .listened(let operation, let bytes, let expired):
            guard !expired else { return }
            if operation == introductionListen {
                requestArrived(bytes, now: now)
            } else if let listen = answerListens[operation] {
                answerArrived(bytes, listenOperation: operation, callee: listen.callee, session: listen.session)
            }
        }
    }

    // MARK: presence

    /// Host candidates, plus the public address DHT peers see this node's runner at with the node's own
    /// port: the server-reflexive candidate behind a NAT that keeps ports (as most cone NATs do).
    func currentCandidates() -> [Candidate] {
        let local = environment.transport.localAddress
        var list = HostCandidates.gather(local: local)
        for address in runner.publicAddresses() {
            guard case .v4 = address.socketAddress, let ip = address.socketAddress.ipAddress,
                let guess = try? PeerAddress(parsing: "\(ip):\(local.port)"),
                !list.contains(where: { $0.address == guess })
            else { continue }
            list.append(Candidate(kind: .serverReflexive, address: guess))
        }
        return list
    }

    private func nextSequence(_ kind: DiscoveryRecord.Kind, now milliseconds: UInt64) -> UInt64 {
        var sequence = sequences[kind] ?? RecordSequence()
        defer { sequences[kind] = sequence }
        return sequence.next(nowMilliseconds: milliseconds)
    }

    private func signed(_ kind: DiscoveryRecord.Kind, lifetime: UInt64, body: [UInt8]) throws -> [UInt8] {
        let now = WallClock.milliseconds()
        return try DiscoveryRecord.signed(
            kind: kind, by: environment.identity, sequence: nextSequence(kind, now: now), issuedMilliseconds: now,
            lifetimeMilliseconds: lifetime, body: body
        ).serialized()
    }

    private func publishPresence(now: ClockInstant) {
        let candidates = currentCandidates()
        do {
            let value = try signed(.presence, lifetime: PresenceRecord.lifetimeMilliseconds, body: PresenceRecord(candidates: candidates).body())
            presencePut = try runner.put(value, at: .presence(of: environment.identity.nodeID))
        } catch {
            environment.event("DHT: cannot publish the presence record: \(error)")
            nextPresence = now.advanced(byNanoseconds: Self.retryNanoseconds)
            return
        }
        if candidates != publishedCandidates {
            environment.event("DHT: published presence with candidates \(candidates.map { "\($0)" }.joined(separator: ", "))")
        }
        publishedCandidates = candidates
        nextPresence = now.advanced(byNanoseconds: Self.presenceRefreshNanoseconds)
    }

    // MARK: callee: connection requests

    private func requestArrived(_ bytes: [UInt8], now: ClockInstant) {
        guard case .success(let record) = verifier.verify(bytes, kind: .request, about: nil, nowMilliseconds: WallClock.milliseconds())
        else { return }
        guard let introduction = Introduction.open(record.body, from: record.nodeID, as: environment.identity, kind: .request) else {
            verifier.reject(.undecryptable)
            return
        }
        let caller = record.nodeID
        let key = "\(caller.compactString)/\(introduction.session)"
        guard handledIntroductions[key] == nil else { return }
        handledIntroductions[key] = now
        if handledIntroductions.count > 1024 {
            handledIntroductions = handledIntroductions.filter { now.nanoseconds - $0.value.nanoseconds < Self.handledMemoryNanoseconds }
        }
        if now.milliseconds(since: introductionWindow.start) >= 1000 { introductionWindow = (now, 0) }
        guard accepts(caller), !isBusy(), introductionWindow.count < Self.introductionsPerSecond else {
            introductionsIgnored += 1
            return
        }
        introductionWindow.count += 1
        introductionsHandled += 1
        environment.event(
            "DHT: connection request from \(caller.abbreviated) with candidates "
                + introduction.candidates.map { "\($0)" }.joined(separator: ", "))
        // Every address here is only claimed by the caller: few checks each (README, "Security").
        for candidate in introduction.candidates {
            if candidate.kind == .relayed {
                guard let raw = candidate.relayToken, let token = try? RelayToken(parsing: raw) else { continue }
                relays.join(candidate.address, token: token, side: .callee, callSession: introduction.session, now: now)
            } else {
                punches.add(session: introduction.session, target: candidate.address, tries: PunchSchedule.claimedTries, now: now)
            }
        }
        punches.tick(now: now) { bytes, target in environment.send(bytes, to: target) }
        let answer = Introduction(session: introduction.session, candidates: currentCandidates())
        do {
            let body = try answer.sealedBody(from: environment.identity.nodeID, to: caller, kind: .answer)
            try runner.put(
                try signed(.answer, lifetime: Introduction.lifetimeMilliseconds, body: body),
                at: .answer(to: caller, session: introduction.session))
        } catch {
            environment.event("DHT: cannot answer the connection request: \(error)")
        }
    }

    /// A handshake for `session` arrived: its path is open.
    func stopPunching(session: UInt32) { punches.stop(session: session) }

    // MARK: caller

    /// Starts a lookup of `key`; nil when the runner has stopped.
    func lookup(_ key: DHTKey) -> Int? {
        guard let operation = try? runner.get(key) else { return nil }
        lookups[operation] = Lookup()
        return operation
    }

    func lookupState(_ operation: Int) -> Lookup? { lookups[operation] }

    func finishLookup(_ operation: Int) {
        lookups[operation] = nil
        firstValid[operation] = nil
    }

    /// The newest verified presence record of `node` among `values`, with its issue time.
    func presence(of node: NodeID, in values: [[UInt8]]) -> (record: DiscoveryRecord, presence: PresenceRecord)? {
        guard let record = verifier.newest(of: values, kind: .presence, about: node, nowMilliseconds: WallClock.milliseconds())
        else { return nil }
        guard let presence = try? PresenceRecord(body: record.body) else {
            verifier.reject(.malformed)
            return nil
        }
        return (record, presence)
    }

    /// Verified, usable (not draining) relay announcements among `values`, least loaded first.
    func relays(in values: [[UInt8]]) -> [RelayAnnouncement] {
        let records = verifier.newestPerNode(of: values, kind: .relay, nowMilliseconds: WallClock.milliseconds())
        var announcements: [RelayAnnouncement] = []
        for record in records {
            guard let announcement = try? RelayAnnouncement(body: record.body) else {
                verifier.reject(.malformed)
                continue
            }
            if !announcement.draining { announcements.append(announcement) }
        }
        func share(_ a: RelayAnnouncement) -> Double { a.capacity == 0 ? 1 : Double(a.sessions) / Double(a.capacity) }
        return announcements.sorted { share($0) < share($1) }
    }

    /// Prepares a request to `callee` before it is sent: listens for the answer to `session` now, and starts
    /// OpenDHT's search for the callee's request key (a lookup whose values are not needed), so the put later
    /// goes straight to the nodes found instead of first waiting out the search (and any departed node in it).
    func prepareRequest(to callee: NodeID, session: UInt32, now: ClockInstant) {
        if let listen = try? runner.listen(.answer(to: environment.identity.nodeID, session: session)) {
            answerListens[listen] = (callee, session, now)
        }
        if let warmUp = try? runner.get(.introductions(to: callee)) { warmUps.insert(warmUp) }
    }

    /// Puts a sealed connection request for `callee` (its answer is listened for since `prepareRequest`).
    func sendRequest(to callee: NodeID, session: UInt32, candidates: [Candidate]) throws {
        let body = try Introduction(session: session, candidates: candidates)
            .sealedBody(from: environment.identity.nodeID, to: callee, kind: .request)
        try runner.put(try signed(.request, lifetime: Introduction.lifetimeMilliseconds, body: body), at: .introductions(to: callee))
    }

    private func answerArrived(_ bytes: [UInt8], listenOperation: Int, callee: NodeID, session: UInt32) {
        guard case .success(let record) = verifier.verify(bytes, kind: .answer, about: callee, nowMilliseconds: WallClock.milliseconds())
        else { return }
        guard let answer = Introduction.open(record.body, from: callee, as: environment.identity, kind: .answer),
            answer.session == session
        else {
            verifier.reject(.undecryptable)
            return
        }
        runner.cancelListen(listenOperation)
        answerListens[listenOperation] = nil
        onAnswer(callee, answer)
    }

    func shutdown() { runner.shutdown() }
}
