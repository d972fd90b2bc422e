import HoplineCore
import HoplineNet

/// Connectivity checks a callee sends toward a caller's candidates after an introduction (through a
/// rendezvous or the DHT), so its NAT opens toward the caller: paced 100 ms apart per address, a capped
/// number of tries per address and of addresses per introduction. An address only the caller claims gets
/// `claimedTries`, so an introduction naming a victim's address makes this node send it less than the
/// introduction itself weighed (README, "Security").
struct PunchSchedule {
    /// Checks toward one address a rendezvous vouches for (the lookup's source, proven by its cookie).
    static let provenTries = 10
    /// Checks toward an address the caller only claims.
    static let claimedTries = 2
    /// Distinct addresses punched for one introduction, at most.
    static let maximumTargets = 8
    static let intervalNanoseconds: Int64 = 100_000_000

    private(set) var punches: [Punch] = []

    /// Forgets earlier introductions' punches.
    mutating func reset() { punches.removeAll() }

    /// Adds `target` (unless already there or the cap is reached), first check due now.
    mutating func add(session: UInt32, target: PeerAddress, tries: Int, now: ClockInstant) {
        guard !punches.contains(where: { $0.target == target }), punches.count < Self.maximumTargets else { return }
        punches.append(Punch(session: session, target: target, triesLeft: tries, next: now))
    }

    /// A handshake for `session` arrived: its path is open, stop punching for it.
    mutating func stop(session: UInt32) { punches.removeAll { $0.session == session } }

    var nextDeadline: ClockInstant? { punches.map(\.next).min() }

    /// Sends every check that is due.
    mutating func tick(now: ClockInstant, send: (_ bytes: [UInt8], _ to: PeerAddress) -> Void) {
        guard !punches.isEmpty else { return }
        for index in punches.indices where punches[index].next <= now && punches[index].triesLeft > 0 {
            let punch = punches[index]
            send(
                ControlPacket.connectivityCheck(transaction: NodeEnvironment.newTransaction(), session: punch.session)
                    .serialized(), punch.target)
            punches[index].triesLeft -= 1
            punches[index].next = now.advanced(byNanoseconds: Self.intervalNanoseconds)
        }
        punches.removeAll { $0.triesLeft == 0 }
    }
}

/// A connectivity check still to send toward one of a caller's candidates.
struct Punch {
    var session: UInt32
    var target: PeerAddress
    var triesLeft: Int
    var next: ClockInstant
}
