import Foundation
import HoplineCore
import HoplineNet

/// The listener's registration at a rendezvous node (signed, refreshed every 10 s, which also keeps its
/// NAT mapping open), the rendezvous service every listener offers, and hole punching on introduction.
struct RegistrationState {
    var rendezvous: PeerAddress
    var nextSend: ClockInstant
    var confirmed = false
    var lastTimestamp: UInt64 = 0
    var reflexive: PeerAddress?
}

extension NodeRuntime {
    static let registrationRefreshSeconds: Int64 = 10

    func startRegistration(at rendezvous: PeerAddress) {
        registration = RegistrationState(rendezvous: rendezvous, nextSend: clock.now())
    }

    func tickRegistration(now: ClockInstant) {
        guard var state = registration, now >= state.nextSend else { return }
        let timestamp = max(UInt64(Date().timeIntervalSince1970 * 1000), state.lastTimestamp + 1)
        state.lastTimestamp = timestamp
        var registration = RendezvousRegistration(
            staticKey: identity.nodeID.publicKey, signingKey: identity.signingPublicKey, timestamp: timestamp,
            candidates: HostCandidates.gather(local: socket.localAddress))
        if let signature = try? identity.sign(registration.signedBytes) {
            registration.signature = signature
            socket.send(ControlPacket.rendezvousRegister(registration).serialized(), to: state.rendezvous)
        }
        // Until confirmed, retry each second; then refresh well inside the NAT's UDP timeout.
        state.nextSend = now.advanced(byNanoseconds: (state.confirmed ? Self.registrationRefreshSeconds : 1) * 1_000_000_000)
        self.registration = state
    }

    func registrationConfirmed(timestamp: UInt64, observed: PeerAddress, from source: PeerAddress) {
        guard var state = registration, state.rendezvous == source, timestamp == state.lastTimestamp else { return }
        if !state.confirmed || state.reflexive != observed {
            event("registered at rendezvous \(source); it sees this node at \(observed)")
        }
        if !state.confirmed {
            state.nextSend = clock.now().advanced(byNanoseconds: Self.registrationRefreshSeconds * 1_000_000_000)
        }
        state.confirmed = true
        state.reflexive = observed
        registration = state
    }

    // MARK: serving

    func serveRegistration(_ registration: RendezvousRegistration, from source: PeerAddress, at now: ClockInstant) {
        do {
            try rendezvousServer.register(registration, observed: source, now: now)
        } catch {
            rendezvousCounters.rejectedRegistrations += 1
            return
        }
        rendezvousCounters.registrations += 1
        rendezvousCounters.registered = rendezvousServer.liveCount(now: now)
        socket.send(
            ControlPacket.rendezvousRegistered(
                timestamp: registration.timestamp, observed: source, lifetimeSeconds: RendezvousTable.lifetimeSeconds
            ).serialized(), to: source)
    }

    func serveLookup(
        transaction: [UInt8], target: [UInt8], session: UInt32, candidates: [Candidate], from source: PeerAddress,
        at now: ClockInstant
    ) {
        rendezvousCounters.lookups += 1
        guard let entry = rendezvousServer.lookup(target, now: now) else {
            rendezvousCounters.lookupsNotFound += 1
            socket.send(ControlPacket.rendezvousLookupResult(transaction: transaction, found: false, candidates: []).serialized(), to: source)
            return
        }
        socket.send(
            ControlPacket.rendezvousLookupResult(transaction: transaction, found: true, candidates: entry.candidates).serialized(),
            to: source)
        var callerCandidates = candidates.filter { $0.kind == .host || $0.kind == .relayed }.prefix(8).map { $0 }
        callerCandidates.append(Candidate(kind: .serverReflexive, address: source))
        socket.send(ControlPacket.rendezvousIntroduce(session: session, candidates: callerCandidates).serialized(), to: entry.observed)
        rendezvousCounters.introductions += 1
    }

    // MARK: hole punching (callee side)

    /// The rendezvous says a caller is coming: send connectivity checks to each of its candidates, so our
    /// NAT opens a mapping toward them and the caller learns where we are (simultaneous open).
    func introduced(session: UInt32, candidates: [Candidate], from source: PeerAddress) {
        guard let state = registration, state.rendezvous == source else { return }
        if let call, call.phase != .ended { return }  // busy: the handshake will say so
        event("rendezvous introduces a caller with candidates \(candidates.map { "\($0)" }.joined(separator: ", "))")
        punches.removeAll()
        let now = clock.now()
        for candidate in candidates {
            punches.append(Punch(session: session, target: candidate.address, triesLeft: 10, next: now))
        }
        tickPunches(now: now)
    }

    func tickPunches(now: ClockInstant) {
        guard !punches.isEmpty else { return }
        for index in punches.indices where punches[index].next <= now && punches[index].triesLeft > 0 {
            let punch = punches[index]
            socket.send(
                ControlPacket.connectivityCheck(transaction: Self.newTransaction(), session: punch.session).serialized(),
                to: punch.target)
            punches[index].triesLeft -= 1
            punches[index].next = now.advanced(byNanoseconds: 100_000_000)
        }
        punches.removeAll { $0.triesLeft == 0 }
    }

    func tickPunching(_ call: CallContext, now: ClockInstant) {
        // A handshake for the introduced session arrived: its path is open, stop punching.
        if call.role == .responder { punches.removeAll { $0.session == call.session } }
    }
}

/// A connectivity check still to send toward one of a caller's candidates.
struct Punch {
    var session: UInt32
    var target: PeerAddress
    var triesLeft: Int
    var next: ClockInstant
}
