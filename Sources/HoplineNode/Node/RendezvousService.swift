import HoplineCore
import HoplineNet

/// The rendezvous every node offers: keeps signed registrations (`RendezvousTable`), answers lookups, and
/// introduces the caller to the registered callee so both can punch through their NATs.
final class RendezvousService {
    private let environment: NodeEnvironment
    private var table = RendezvousTable()
    private(set) var counters = RendezvousCounters()

    init(environment: NodeEnvironment) { self.environment = environment }

    /// Handles registrations and lookups; returns false for any other packet.
    func serve(_ packet: ControlPacket, from source: PeerAddress, at now: ClockInstant) -> Bool {
        switch packet {
        case .rendezvousRegister(let registration):
            register(registration, from: source, at: now)
        case .rendezvousLookup(let transaction, let target, let session, let candidates):
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
