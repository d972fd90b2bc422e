import Atomics
import HoplineNet

/// The relay's counters as atomics: written on the relay's event loop, readable from any thread (the
/// status line, the metrics endpoint, tests). Relaxed ordering: each value is exact, a snapshot of several
/// is not one instant.
public final class RelayCounters: Sendable {
    let sessionsActive = ManagedAtomic<Int>(0)
    let sessionsCreated = ManagedAtomic<Int>(0)
    let sessionsExpired = ManagedAtomic<Int>(0)
    let sessionsLeft = ManagedAtomic<Int>(0)
    let joins = ManagedAtomic<Int>(0)
    let packetsForwarded = ManagedAtomic<Int>(0)
    let bytesForwarded = ManagedAtomic<Int>(0)
    let cookiesIssued = ManagedAtomic<Int>(0)
    let rateLimitHits = ManagedAtomic<Int>(0)
    let controlDatagramsIn = ManagedAtomic<Int>(0)
    let controlBytesIn = ManagedAtomic<Int>(0)
    let controlBytesOut = ManagedAtomic<Int>(0)
    let drainsSent = ManagedAtomic<Int>(0)
    let sendFailures = ManagedAtomic<Int>(0)
    let draining = ManagedAtomic<Bool>(false)
    private let drops: [ManagedAtomic<Int>] = RelayDropReason.allCases.map { _ in ManagedAtomic(0) }
    private let refusals: [ManagedAtomic<Int>] = (0...RelayRefusal.allCases.count).map { _ in ManagedAtomic(0) }

    public init() {}

    func add(_ counter: ManagedAtomic<Int>, _ amount: Int = 1) {
        counter.wrappingIncrement(by: amount, ordering: .relaxed)
    }

    func drop(_ reason: RelayDropReason) { add(drops[reason.rawValue]) }

    func refuse(_ reason: RelayRefusal) { add(refusals[Int(reason.rawValue)]) }

    /// Every counter, read now.
    public func snapshot() -> RelayStatistics {
        var drops: [RelayDropReason: Int] = [:]
        for reason in RelayDropReason.allCases { drops[reason] = self.drops[reason.rawValue].load(ordering: .relaxed) }
        var refusals: [RelayRefusal: Int] = [:]
        for reason in RelayRefusal.allCases { refusals[reason] = self.refusals[Int(reason.rawValue)].load(ordering: .relaxed) }
        return RelayStatistics(
            sessionsActive: sessionsActive.load(ordering: .relaxed),
            sessionsCreated: sessionsCreated.load(ordering: .relaxed),
            sessionsExpired: sessionsExpired.load(ordering: .relaxed),
            sessionsLeft: sessionsLeft.load(ordering: .relaxed),
            joins: joins.load(ordering: .relaxed),
            packetsForwarded: packetsForwarded.load(ordering: .relaxed),
            bytesForwarded: bytesForwarded.load(ordering: .relaxed),
            cookiesIssued: cookiesIssued.load(ordering: .relaxed),
            rateLimitHits: rateLimitHits.load(ordering: .relaxed),
            controlDatagramsIn: controlDatagramsIn.load(ordering: .relaxed),
            controlBytesIn: controlBytesIn.load(ordering: .relaxed),
            controlBytesOut: controlBytesOut.load(ordering: .relaxed),
            drainsSent: drainsSent.load(ordering: .relaxed),
            sendFailures: sendFailures.load(ordering: .relaxed),
            draining: draining.load(ordering: .relaxed),
            drops: drops,
            refusals: refusals)
    }
}
