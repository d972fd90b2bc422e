import Crypto
import HoplineCore
import HoplineNet
import NIOCore

/// The relay's whole decision logic, with no socket and no clock of its own: every call takes the current
/// `RelayInstant`, so tests drive it on a virtual clock. `RelayServer` owns one per socket and calls it on
/// its event loop only (not thread-safe); the counters it updates are atomics readable anywhere.
///
/// Rules (`notes/relay-protocol.md`): no reply is larger than its request; no state exists for a source
/// before it returned a valid cookie; the relay only ever sends to a session's proven side addresses.
public final class RelayEngine {
    public let limits: RelayLimits
    public let counters: RelayCounters
    public private(set) var policy: RelayAddressPolicy
    private var cookies: AddressCookieJar
    private let minter: RelayTokenMinter
    private var sessions: [UInt32: RelaySession] = [:]
    private var channelsByKeys: [RelayKeyFingerprint: UInt32] = [:]
    private var sessionsPerIP: [RelayIPKey: Int] = [:]
    private var totalBucket: RelayTokenBucket
    private var lastTotalRateLimit: ClockInstant?
    private var nextChannel: UInt32
    private var drainSendsLeft = 0
    private var nextDrainSend = ClockInstant.zero
    private var nextIdleScan = ClockInstant.zero
    public private(set) var draining = false

    /// - Parameters:
    ///   - ownAddresses: the relay's own IPs (never accepted as a side address).
    ///   - tokenSecret: the token MAC key; random by default (tokens die with the process).
    ///   - firstChannel: the first channel to hand out (random by default; tests fix it).
    public init(
        limits: RelayLimits, now: RelayInstant, ownAddresses: Set<RelayIPKey> = [], counters: RelayCounters = RelayCounters(),
        tokenSecret: SymmetricKey = SymmetricKey(size: .bits256), firstChannel: UInt32? = nil
    ) {
        self.limits = limits
        self.counters = counters
        policy = RelayAddressPolicy(allowLoopback: limits.allowLoopbackPeers, denyPrivate: limits.denyPrivate, ownAddresses: ownAddresses)
        cookies = AddressCookieJar(epochSeconds: limits.cookieEpochSeconds, now: now.monotonic)
        minter = RelayTokenMinter(secret: tokenSecret)
        totalBucket = RelayTokenBucket(kbps: limits.maxTotalKbps, now: now.monotonic)
        nextChannel = firstChannel.map { max(1, $0 & RelayPacket.maximumChannel) } ?? UInt32.random(in: 1...RelayPacket.maximumChannel)
    }

    public var sessionCount: Int { sessions.count }

    /// The session on `channel`, for tests and diagnostics.
    public func session(_ channel: UInt32) -> RelaySession? { sessions[channel] }

    public var load: RelayLoad {
        RelayLoad(sessions: UInt32(clamping: sessions.count), capacity: UInt32(clamping: limits.maxSessions), draining: draining)
    }

    /// Adds addresses the relay owns (learned after binding) to the deny list.
    public func addOwnAddresses(_ addresses: Set<RelayIPKey>) { policy.ownAddresses.formUnion(addresses) }

    // MARK: DATA, the fast path

    /// Where a DATA datagram of `length` bytes on `channel` from `source` goes: the other side's proven
    /// address, or nil (dropped and counted). The caller forwards the datagram byte for byte.
    public func forward(channel: UInt32, length: Int, from source: SocketAddress, now: ClockInstant) -> SocketAddress? {
        guard let session = sessions[channel] else {
            counters.drop(.unknownChannel)
            return nil
        }
        let destination: SocketAddress?
        if let caller = session.caller, caller == source {
            destination = session.callee
        } else if let callee = session.callee, callee == source {
            destination = session.caller
        } else {
            counters.drop(.unknownSource)
            return nil
        }
        session.lastActivity = now
        guard let destination else {
            counters.drop(.noPeerYet)
            return nil
        }
        guard session.bucket.take(length, now: now) else {
            rateLimited()
            return nil
        }
        guard totalBucket.take(length, now: now) else {
            lastTotalRateLimit = now
            rateLimited()
            return nil
        }
        session.packetsForwarded &+= 1
        session.bytesForwarded &+= UInt64(length)
        counters.add(counters.packetsForwarded)
        counters.add(counters.bytesForwarded, length)
        return destination
    }

    private func rateLimited() {
        counters.drop(.rateLimited)
        counters.add(counters.rateLimitHits)
    }

    // MARK: requests

    /// Handles one relay datagram other than DATA (which goes to `forward`) from `source`; returns the reply
    /// for `source`, if any. Never returns more bytes than `bytes` holds.
    public func handleRequest(_ bytes: [UInt8], from source: SocketAddress, now: RelayInstant) -> [UInt8]? {
        counters.add(counters.controlDatagramsIn)
        counters.add(counters.controlBytesIn, bytes.count)
        let packet: RelayPacket
        do {
            packet = try RelayPacket(parsing: bytes)
        } catch {
            counters.drop(.malformed)
            return nil
        }
        let reply: RelayPacket?
        switch packet {
        case .data:
            // DATA takes the fast path (`forward`), which returns where it goes; here it could not be sent.
            counters.drop(.unexpected)
            return nil
        case .cookieRequest(let transaction):
            counters.add(counters.cookiesIssued)
            reply = .cookie(transaction: transaction, cookie: cookies.cookie(for: source, now: now.monotonic), load: load)
        case .allocate(let transaction, let cookie, let callerKey, let calleeKey):
            reply = allocate(transaction: transaction, cookie: cookie, keys: (callerKey, calleeKey), from: source, now: now)
        case .join(let transaction, let cookie, let side, let token):
            reply = join(transaction: transaction, cookie: cookie, side: side, token: token, from: source, now: now)
        case .leave(let channel):
            leave(channel: channel, from: source)
            return nil
        case .cookie, .joined, .refused, .drain:
            counters.drop(.unexpected)
            return nil
        }
        guard let reply else { return nil }
        let out = reply.serialized()
        guard out.count <= bytes.count else {
            counters.drop(.amplification)
            return nil
        }
        if case .refused(_, let reason) = reply { counters.refuse(reason) }
        counters.add(counters.controlBytesOut, out.count)
        return out
    }

    private func allocate(
        transaction: [UInt8], cookie: [UInt8], keys: ([UInt8], [UInt8]), from source: SocketAddress, now: RelayInstant
    ) -> RelayPacket {
        if let refusal = admissionRefusal(cookie: cookie, from: source, now: now) {
            return .refused(transaction: transaction, reason: refusal)
        }
        let fingerprint = Self.fingerprint(caller: keys.0, callee: keys.1)
        // A retransmitted ALLOCATE (its JOINED was lost) from the same address gets the same session back.
        if let channel = channelsByKeys[fingerprint], let existing = sessions[channel], existing.caller == source {
            existing.lastActivity = now.monotonic
            return joined(transaction: transaction, side: .caller, session: existing, keys: keys, now: now)
        }
        guard sessions.count < limits.maxSessions else { return .refused(transaction: transaction, reason: .full) }
        if let ip = RelayIPKey(source), sessionsPerIP[ip, default: 0] >= limits.maxSessionsPerIP {
            return .refused(transaction: transaction, reason: .sourceLimit)
        }
        if let last = lastTotalRateLimit, now.monotonic.nanoseconds - last.nanoseconds < 1_000_000_000 {
            return .refused(transaction: transaction, reason: .rateLimited)
        }
        let channel = freeChannel()
        let session = RelaySession(channel: channel, keys: fingerprint, now: now.monotonic, kbps: limits.maxKbpsPerSession)
        sessions[channel] = session
        channelsByKeys[fingerprint] = channel
        move(session, side: .caller, to: source)
        counters.add(counters.sessionsCreated)
        counters.sessionsActive.store(sessions.count, ordering: .relaxed)
        counters.add(counters.joins)
        return joined(transaction: transaction, side: .caller, session: session, keys: keys, now: now)
    }

    private func join(
        transaction: [UInt8], cookie: [UInt8], side: RelaySide, token: RelayToken, from source: SocketAddress, now: RelayInstant
    ) -> RelayPacket {
        if let refusal = admissionRefusal(cookie: cookie, from: source, now: now) {
            return .refused(transaction: transaction, reason: refusal)
        }
        guard minter.verify(token) else { return .refused(transaction: transaction, reason: .badToken) }
        guard token.expiry > now.unixSeconds else { return .refused(transaction: transaction, reason: .expired) }
        guard let session = sessions[token.channel],
              session.keys == Self.fingerprint(caller: token.callerKey, callee: token.calleeKey)
        else { return .refused(transaction: transaction, reason: .badToken) }
        if session.address(of: side) != source, let ip = RelayIPKey(source), !session.sideIPs.contains(ip),
           sessionsPerIP[ip, default: 0] >= limits.maxSessionsPerIP {
            return .refused(transaction: transaction, reason: .sourceLimit)
        }
        move(session, side: side, to: source)
        session.lastActivity = now.monotonic
        counters.add(counters.joins)
        return joined(transaction: transaction, side: side, session: session, keys: (token.callerKey, token.calleeKey), now: now)
    }

    /// The checks every ALLOCATE and JOIN passes first, cheapest first after the cookie.
    private func admissionRefusal(cookie: [UInt8], from source: SocketAddress, now: RelayInstant) -> RelayRefusal? {
        guard cookies.check(cookie, from: source, now: now.monotonic) else { return .badCookie }
        if draining { return .draining }
        if policy.denies(source) { return .deniedAddress }
        return nil
    }

    private func joined(
        transaction: [UInt8], side: RelaySide, session: RelaySession, keys: ([UInt8], [UInt8]), now: RelayInstant
    ) -> RelayPacket {
        let token = minter.mint(
            channel: session.channel, expiry: now.unixSeconds &+ limits.tokenLifetimeSeconds, callerKey: keys.0, calleeKey: keys.1)
        return .joined(transaction: transaction, side: side, token: token,
                       lifetimeSeconds: UInt16(clamping: limits.tokenLifetimeSeconds), load: load)
    }

    private func leave(channel: UInt32, from source: SocketAddress) {
        guard let session = sessions[channel] else {
            counters.drop(.unknownChannel)
            return
        }
        let side: RelaySide
        if session.caller == source {
            side = .caller
        } else if session.callee == source {
            side = .callee
        } else {
            counters.drop(.unknownSource)
            return
        }
        move(session, side: side, to: nil)
        if session.caller == nil, session.callee == nil {
            remove(session)
            counters.add(counters.sessionsLeft)
        }
    }

    // MARK: timers and draining

    /// Removes idle sessions (scanning the table at most once a second) and, while draining, returns the
    /// DRAIN datagrams due now (each to a proven side address). Call it every 50 ms or so.
    public func tick(now: RelayInstant) -> [(bytes: [UInt8], destination: SocketAddress)] {
        if now.monotonic >= nextIdleScan {
            nextIdleScan = now.monotonic.advanced(byMilliseconds: 1_000)
            let idleNanoseconds = Int64(limits.idleTimeoutSeconds * 1e9)
            var idle: [RelaySession] = []
            for session in sessions.values where now.monotonic.nanoseconds - session.lastActivity.nanoseconds >= idleNanoseconds {
                idle.append(session)
            }
            for session in idle { remove(session) }
            if !idle.isEmpty { counters.add(counters.sessionsExpired, idle.count) }
        }
        guard draining, drainSendsLeft > 0, now.monotonic >= nextDrainSend else { return [] }
        drainSendsLeft -= 1
        nextDrainSend = now.monotonic.advanced(byMilliseconds: limits.drainIntervalMilliseconds)
        var out: [(bytes: [UInt8], destination: SocketAddress)] = []
        for session in sessions.values {
            let bytes = RelayPacket.drain(channel: session.channel).serialized()
            for address in [session.caller, session.callee] {
                if let address { out.append((bytes, address)) }
            }
        }
        counters.add(counters.drainsSent, out.count)
        return out
    }

    /// Stops taking sessions: ALLOCATE and JOIN are refused with `draining` from now on, and the next ticks
    /// send DRAIN to both sides of every session (`limits.drainRepeats` times).
    public func beginDraining(now: RelayInstant) {
        guard !draining else { return }
        draining = true
        counters.draining.store(true, ordering: .relaxed)
        drainSendsLeft = limits.drainRepeats
        nextDrainSend = now.monotonic
    }

    // MARK: table upkeep

    private func move(_ session: RelaySession, side: RelaySide, to address: SocketAddress?) {
        let before = session.sideIPs
        session.setAddress(address, of: side)
        let after = session.sideIPs
        for ip in before where !after.contains(ip) { decrement(ip) }
        for ip in after where !before.contains(ip) { sessionsPerIP[ip, default: 0] += 1 }
    }

    private func decrement(_ ip: RelayIPKey) {
        let count = sessionsPerIP[ip, default: 0] - 1
        sessionsPerIP[ip] = count > 0 ? count : nil
    }

    private func remove(_ session: RelaySession) {
        for ip in session.sideIPs { decrement(ip) }
        sessions[session.channel] = nil
        if channelsByKeys[session.keys] == session.channel { channelsByKeys[session.keys] = nil }
        counters.sessionsActive.store(sessions.count, ordering: .relaxed)
    }

    /// The next channel not in use; the table is never full here (the session cap is below 2^24 - 1).
    private func freeChannel() -> UInt32 {
        for _ in 0...sessions.count {
            let candidate = nextChannel
            nextChannel = nextChannel >= RelayPacket.maximumChannel ? 1 : nextChannel + 1
            if sessions[candidate] == nil { return candidate }
        }
        return nextChannel  // unreachable while sessions.count < 2^24 - 1
    }

    static func fingerprint(caller: [UInt8], callee: [UInt8]) -> RelayKeyFingerprint {
        var hasher = SHA256()
        hasher.update(data: RelayToken.fixedKey(caller))
        hasher.update(data: RelayToken.fixedKey(callee))
        let digest = Array(hasher.finalize())
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(digest[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(digest[index]) }
        return RelayKeyFingerprint(high: high, low: low)
    }
}

extension RelayToken {
    static func fixedKey(_ key: [UInt8]) -> [UInt8] {
        key.count == keyLength ? key : Array(key.prefix(keyLength)) + [UInt8](repeating: 0, count: max(0, keyLength - key.count))
    }
}
