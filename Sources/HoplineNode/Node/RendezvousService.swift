import HoplineCore
import HoplineNet

/// The rendezvous every node offers: keeps signed registrations (`RendezvousTable`), answers lookups, and
/// introduces the caller to the registered callee so both can punch through their NATs.
///
/// A lookup's answer and the introduction it causes are larger than the lookup and go to addresses the
/// lookup names, so a lookup is served only with a cookie (`AddressCookieJar`) that proves its source
/// address asked: without one it gets just the cookie, smaller than itself.
final class RendezvousService {
    private let environment: NodeEnvironment
    private var table = RendezvousTable()
    private var cookies: AddressCookieJar
    private(set) var counters = RendezvousCounters()

    init(environment: NodeEnvironment) {
        self.environment = environment
        cookies = AddressCookieJar(epochSeconds: 60, now: environment.now())
    }

    /// Handles registrations and lookups; returns false for any other packet.
    func serve(_ packet: ControlPacket, from source: PeerAddress, at now: ClockInstant) -> Bool {
        switch packet {
        case .rendezvousRegister(let registration):
            register(registration, from: source, at: now)
        case .rendezvousLookup(let transaction, let cookie, let target, let session, let candidates):
            guard cookies.check(cookie, from: source.socketAddress, now: now) else {
                counters.cookieChallenges += 1
                let challenge = cookies.cookie(for: source.socketAddress, now: now)
                environment.send(ControlPacket.rendezvousCookie(transaction: transaction, cookie: challenge).serialized(), to: source)
                return true
            }
            lookup(transaction: transaction, target: target, session: session, candidates: candidates, from: source, at: now)
        default:
            return false
        }
        return true
    }

    private func register(_ registration: RendezvousRegistration, from source: PeerAddress, at now: ClockInstant) {
        do {
            try table.register(registration, observed: source, now: now)
        } catch {
            counters.rejectedRegistrations += 1
            return
        }
        counters.registrations += 1
        counters.registered = table.liveCount(now: now)
        environment.send(
            ControlPacket.rendezvousRegistered(
                timestamp: registration.timestamp, observed: source, lifetimeSeconds: RendezvousTable.lifetimeSeconds
            ).serialized(), to: source)
    }

    private func lookup(
        transaction: [UInt8], target: [UInt8], session: UInt32, candidates: [Candidate], from source: PeerAddress,
        at now: ClockInstant
    ) {
        counters.lookups += 1
        guard let entry = table.lookup(target, now: now) else {
            counters.lookupsNotFound += 1
            environment.send(
                ControlPacket.rendezvousLookupResult(transaction: transaction, found: false, candidates: []).serialized(),
                to: source)
            return
        }
        environment.send(
            ControlPacket.rendezvousLookupResult(transaction: transaction, found: true, candidates: entry.candidates)
                .serialized(), to: source)
        var callerCandidates = candidates.filter { $0.kind == .host || $0.kind == .relayed }.prefix(8).map { $0 }
        callerCandidates.append(Candidate(kind: .serverReflexive, address: source))
        environment.send(
            ControlPacket.rendezvousIntroduce(session: session, candidates: callerCandidates).serialized(),
            to: entry.observed)
        counters.introductions += 1
    }
}
