import HoplineCore
import HoplineNet

/// The node's sessions on volunteer relays, as a client: probing a relay (one cookie round trip gives its
/// RTT and announced load), allocating a session as caller, joining one as callee with the caller's token,
/// refreshing before the token expires, and re-proving the address at once when a path goes silent (a NAT
/// mapping that changed). Every request is retransmitted every 250 ms, four times at most.
///
/// Owned by the node's loop thread; all time comes from the `now` arguments.
final class RelayLinks {
    /// What a link is doing.
    enum State: Equatable {
        /// Waiting for the relay's cookie.
        case awaitingCookie
        /// Cookie in hand, ALLOCATE/JOIN sent, waiting for JOINED.
        case joining
        /// A live session: `channel` and `token` are set.
        case joined
        /// Probe only: the cookie came back (RTT and load known); nothing allocated.
        case probed
        case refused(RelayRefusal)
        /// No answer after every retry.
        case unreachable
        case left
    }

    /// What a link was opened for.
    enum Purpose: Equatable {
        case probe
        case allocate(callee: [UInt8])
        case join(token: RelayToken, side: RelaySide)
    }

    struct Link {
        let id: Int
        let relay: PeerAddress
        var purpose: Purpose
        /// The call session (Hopline's) the link serves, for the call engine to find it.
        let callSession: UInt32
        var state: State = .awaitingCookie
        var transaction = NodeEnvironment.newTransaction()
        var cookie: [UInt8] = []
        /// The session's token: the caller's from the start (join), the relay's once JOINED (allocate).
        var token: RelayToken?
        var channel: UInt32? { token?.channel }
        /// JOINED has arrived at least once.
        var joinedOnce = false
        var side: RelaySide?
        var rttMilliseconds: Double?
        var load: RelayLoad?
        var triesLeft = RelayLinks.tries
        var nextSend: ClockInstant
        var lastSent: ClockInstant
        var refreshAt: ClockInstant?
        let opened: ClockInstant

        var isSettled: Bool {
            switch state {
            case .awaitingCookie, .joining: return false
            default: return true
            }
        }
    }

    /// What happened that the call engine needs to know.
    enum Event: Equatable {
        case joined(linkID: Int)
        case failed(linkID: Int)
        case drain(relay: PeerAddress, channel: UInt32)
    }

    static let tries = 4
    static let retryNanoseconds: Int64 = 250_000_000
    /// Refresh (re-JOIN) this long after each JOINED: well inside the token's lifetime and the relay's idle limit.
    static let refreshNanoseconds: Int64 = 60_000_000_000

    private let environment: NodeEnvironment
    private(set) var links: [Int: Link] = [:]
    private var nextID = 1
    private(set) var refusals = 0
    /// Relay packets that matched no link (stale, forged or from a stranger): counted and dropped.
    private(set) var unmatched = 0

    init(environment: NodeEnvironment) { self.environment = environment }

    /// Asks `relay` for a cookie only: its RTT and load, to choose relays by.
    @discardableResult
    func probe(_ relay: PeerAddress, callSession: UInt32 = 0, now: ClockInstant) -> Int {
        open(relay, purpose: .probe, callSession: callSession, now: now)
    }

    /// Allocates a session on `relay` for a call to `callee` (its static key); this node is the caller side.
    @discardableResult
    func allocate(on relay: PeerAddress, callee: [UInt8], callSession: UInt32, now: ClockInstant) -> Int {
        open(relay, purpose: .allocate(callee: callee), callSession: callSession, now: now)
    }

    /// Joins the session `token` names on `relay` as `side` (the callee, with the caller's token).
    @discardableResult
    func join(_ relay: PeerAddress, token: RelayToken, side: RelaySide, callSession: UInt32, now: ClockInstant) -> Int {
        if let existing = links.values.first(where: { $0.relay == relay && $0.channel == token.channel }) {
            return existing.id
        }
        return open(relay, purpose: .join(token: token, side: side), callSession: callSession, token: token, now: now)
    }

    private func open(
        _ relay: PeerAddress, purpose: Purpose, callSession: UInt32, token: RelayToken? = nil, now: ClockInstant
    ) -> Int {
        let id = nextID
        nextID += 1
        var link = Link(
            id: id, relay: relay, purpose: purpose, callSession: callSession, nextSend: now, lastSent: now, opened: now)
        link.token = token
        links[id] = link
        sendDue(id, now: now)
        return id
    }

    /// Re-proves a joined link's address now (cookie + JOIN with its token): after a NAT mapping change the
    /// relay drops our packets until we do. At most once per second per link.
    func reprove(_ id: Int, now: ClockInstant) {
        guard var link = links[id], link.state == .joined, let token = link.token, let side = link.side else { return }
        // Waits a second between tries (the path's own silence rule calls this on every tick).
        if now.milliseconds(since: link.lastSent) < 1_000 { return }
        link.purpose = .join(token: token, side: side)
        restart(&link, now: now)
        links[id] = link
        sendDue(id, now: now)
    }

    /// Tells the relay this side is done with the session (best effort) and forgets the link.
    func leave(_ id: Int) {
        guard var link = links[id] else { return }
        if let channel = link.channel, link.state == .joined || link.state == .joining {
            environment.send(RelayPacket.leave(channel: channel).serialized(), to: link.relay)
        }
        link.state = .left
        links[id] = nil
    }

    func link(_ id: Int) -> Link? { links[id] }

    /// Sessions no call took up (an introduction whose handshake never came, a call refused as busy) are
    /// left once they are `orphanSeconds` old, so nothing is refreshed forever.
    static let orphanSeconds = 30.0

    func leaveOrphans(keeping callSession: UInt32?, now: ClockInstant) {
        for link in links.values where link.callSession != callSession
            && now.milliseconds(since: link.opened) > Self.orphanSeconds * 1000
        {
            leave(link.id)
        }
    }

    /// The link for a relay session this node has joined (also while it refreshes or re-proves it).
    func joinedLink(relay: PeerAddress, channel: UInt32) -> Link? {
        links.values.first { link in
            guard link.relay == relay, link.channel == channel, link.joinedOnce else { return false }
            switch link.state {
            case .joined, .awaitingCookie, .joining: return true
            default: return false
            }
        }
    }

    /// Handles one relay packet (not DATA) from `source`; returns what the call engine should hear of it.
    func handle(_ packet: RelayPacket, from source: PeerAddress, at now: ClockInstant) -> Event? {
        switch packet {
        case .cookie(let transaction, let cookie, let load):
            guard let id = match(transaction, source, state: .awaitingCookie), var link = links[id] else { return nil }
            link.rttMilliseconds = now.milliseconds(since: link.lastSent)
            link.load = load
            link.cookie = cookie
            if case .probe = link.purpose {
                link.state = .probed
                links[id] = link
                return nil
            }
            link.state = .joining
            link.transaction = NodeEnvironment.newTransaction()
            link.triesLeft = Self.tries
            link.nextSend = now
            links[id] = link
            sendDue(id, now: now)
            return nil
        case .joined(let transaction, let side, let token, let lifetime, let load):
            guard let id = match(transaction, source, state: .joining), var link = links[id] else { return nil }
            let first = !link.joinedOnce
            link.joinedOnce = true
            link.state = .joined
            link.token = token
            link.side = side
            link.load = load
            let refresh = min(Self.refreshNanoseconds, Int64(lifetime) * 500_000_000)
            link.refreshAt = now.advanced(byNanoseconds: max(1_000_000_000, refresh))
            links[id] = link
            return first ? .joined(linkID: id) : nil
        case .refused(let transaction, let reason):
            guard let id = links.values.first(where: { $0.transaction == transaction && $0.relay == source })?.id,
                var link = links[id], !link.isSettled || link.state == .joined
            else {
                unmatched += 1
                return nil
            }
            refusals += 1
            if reason == .badCookie, link.triesLeft > 0 {
                restart(&link, now: now)
                links[id] = link
                sendDue(id, now: now)
                return nil
            }
            link.state = .refused(reason)
            links[id] = link
            return .failed(linkID: id)
        case .drain(let channel):
            guard joinedLink(relay: source, channel: channel) != nil else {
                unmatched += 1
                return nil
            }
            return .drain(relay: source, channel: channel)
        case .data, .cookieRequest, .allocate, .join, .leave:
            unmatched += 1
            return nil
        }
    }

    private func match(_ transaction: [UInt8], _ source: PeerAddress, state: State) -> Int? {
        guard let link = links.values.first(where: { $0.transaction == transaction }), link.relay == source,
            link.state == state
        else {
            unmatched += 1
            return nil
        }
        return link.id
    }

    private func restart(_ link: inout Link, now: ClockInstant) {
        link.state = .awaitingCookie
        link.transaction = NodeEnvironment.newTransaction()
        link.triesLeft = Self.tries
        link.nextSend = now
    }

    /// Retransmissions, refreshes and give-ups due at `now`; returns links that just failed.
    func tick(now: ClockInstant) -> [Event] {
        var events: [Event] = []
        for id in links.keys.sorted() {
            guard var link = links[id] else { continue }
            if link.state == .joined, let refreshAt = link.refreshAt, now >= refreshAt, let token = link.token,
                let side = link.side
            {
                link.purpose = .join(token: token, side: side)
                link.refreshAt = nil
                restart(&link, now: now)
                links[id] = link
            }
            guard !links[id]!.isSettled, now >= links[id]!.nextSend else { continue }
            if links[id]!.triesLeft == 0 {
                // A refresh that got no answer keeps the session's old state: the path's liveness decides.
                if links[id]!.joinedOnce {
                    links[id]!.state = .joined
                    links[id]!.refreshAt = now.advanced(byNanoseconds: 5_000_000_000)
                } else {
                    links[id]!.state = .unreachable
                    events.append(.failed(linkID: id))
                }
                continue
            }
            sendDue(id, now: now)
        }
        return events
    }

    var nextDeadline: ClockInstant? {
        links.values.compactMap { link -> ClockInstant? in
            if !link.isSettled { return link.nextSend }
            return link.state == .joined ? link.refreshAt : nil
        }.min()
    }

    /// Whether every link opened for `callSession` has an answer (or gave up).
    func settled(callSession: UInt32) -> Bool {
        links.values.filter { $0.callSession == callSession }.allSatisfy(\.isSettled)
    }

    private func sendDue(_ id: Int, now: ClockInstant) {
        guard var link = links[id], !link.isSettled, now >= link.nextSend, link.triesLeft > 0 else { return }
        let packet: RelayPacket
        switch (link.state, link.purpose) {
        case (.awaitingCookie, _):
            packet = .cookieRequest(transaction: link.transaction)
        case (.joining, .allocate(let callee)):
            packet = .allocate(
                transaction: link.transaction, cookie: link.cookie, caller: environment.identity.nodeID.publicKey,
                callee: callee)
        case (.joining, .join(let token, let side)):
            packet = .join(transaction: link.transaction, cookie: link.cookie, side: side, token: token)
        default:
            return
        }
        environment.send(packet.serialized(), to: link.relay)
        link.triesLeft -= 1
        link.lastSent = now
        link.nextSend = now.advanced(byNanoseconds: Self.retryNanoseconds)
        links[id] = link
    }
}
