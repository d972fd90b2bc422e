import Foundation
import HoplineCore
import HoplineNet

/// A listener's registration at its rendezvous node (signed, refreshed every 10 s, which also keeps its NAT
/// mapping open), and what it does when the rendezvous introduces a caller: connectivity checks toward the
/// caller's addresses (so both NATs open: simultaneous open) and joins of the caller's relay sessions.
final class RegistrationClient {
    static let refreshSeconds: Int64 = 10

    private let environment: NodeEnvironment
    private let relays: RelayLinks
    let rendezvous: PeerAddress
    private var nextSend: ClockInstant
    private(set) var confirmed = false
    private var lastTimestamp: UInt64 = 0
    private(set) var reflexive: PeerAddress?
    private var punches = PunchSchedule()

    init(environment: NodeEnvironment, relays: RelayLinks, rendezvous: PeerAddress) {
        self.environment = environment
        self.relays = relays
        self.rendezvous = rendezvous
        nextSend = environment.now()
    }

    /// Handles the rendezvous' confirmation and introductions; returns false for other packets.
    func handle(_ packet: ControlPacket, from source: PeerAddress, busy: Bool) -> Bool {
        switch packet {
        case .rendezvousRegistered(let timestamp, let observed, _):
            confirmed(timestamp: timestamp, observed: observed, from: source)
        case .rendezvousIntroduce(let session, let candidates):
            guard source == rendezvous, !busy else { return true }  // busy: the handshake will say so
            introduced(session: session, candidates: candidates)
        default:
            return false
        }
        return true
    }

    func tick(now: ClockInstant) {
        tickPunches(now: now)
        guard now >= nextSend else { return }
        let timestamp = max(UInt64(Date().timeIntervalSince1970 * 1000), lastTimestamp + 1)
        lastTimestamp = timestamp
        let identity = environment.identity
        var registration = RendezvousRegistration(
            staticKey: identity.nodeID.publicKey, signingKey: identity.signingPublicKey, timestamp: timestamp,
            candidates: HostCandidates.gather(local: environment.transport.localAddress))
        if let signature = try? identity.sign(registration.signedBytes) {
            registration.signature = signature
            environment.send(ControlPacket.rendezvousRegister(registration).serialized(), to: rendezvous)
        }
        // Until confirmed, retry each second; then refresh well inside the NAT's UDP timeout.
        nextSend = now.advanced(byNanoseconds: (confirmed ? Self.refreshSeconds : 1) * 1_000_000_000)
    }

    var nextDeadline: ClockInstant {
        min(nextSend, punches.nextDeadline ?? nextSend)
    }

    /// A handshake for an introduced session arrived: its path is open, stop punching for it.
    func stopPunching(session: UInt32) { punches.stop(session: session) }

    private func confirmed(timestamp: UInt64, observed: PeerAddress, from source: PeerAddress) {
        guard source == rendezvous, timestamp == lastTimestamp else { return }
        if !confirmed || reflexive != observed {
            environment.event("registered at rendezvous \(source); it sees this node at \(observed)")
        }
        if !confirmed { nextSend = environment.now().advanced(byNanoseconds: Self.refreshSeconds * 1_000_000_000) }
        confirmed = true
        reflexive = observed
    }

    /// Punches toward the direct candidates (paced 100 ms apart per address, capped); joins each relayed one
    /// (the caller's relay sessions).
    private func introduced(session: UInt32, candidates: [Candidate]) {
        environment.event("rendezvous introduces a caller with candidates \(candidates.map { "\($0)" }.joined(separator: ", "))")
        punches.reset()
        let now = environment.now()
        for candidate in candidates {
            if candidate.kind == .relayed {
                guard let bytes = candidate.relayToken, let token = try? RelayToken(parsing: bytes) else { continue }
                relays.join(candidate.address, token: token, side: .callee, callSession: session, now: now)
            } else {
                let tries = candidate.kind == .serverReflexive ? PunchSchedule.provenTries : PunchSchedule.claimedTries
                punches.add(session: session, target: candidate.address, tries: tries, now: now)
            }
        }
        tickPunches(now: now)
    }

    private func tickPunches(now: ClockInstant) {
        punches.tick(now: now) { bytes, target in environment.send(bytes, to: target) }
    }
}
