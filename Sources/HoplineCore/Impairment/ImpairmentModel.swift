/// Applies an `ImpairmentSpec` to packets one at a time: given when a packet was sent, says whether it is
/// lost and when its copy or copies arrive. Deterministic: the same spec (seed included), stream and sequence
/// of send times give the same fates, on any machine.
///
/// For each packet, in order:
/// 1. Loss: independent loss with probability `lossPercent`, or Gilbert-Elliott burst loss (the chain steps
///    once per packet). A lost packet has no arrivals.
/// 2. Skew: the packet leaves at `origin + (sent - origin) x (1 + ppm / 10^6)`, so positive ppm stretches the
///    sender's timeline (its packets come further apart than their media timestamps say, as if the sender's
///    clock ran slow: the receiver's buffer drains), negative ppm compresses it (the buffer fills). Over an
///    hour, 500 ppm is 1.8 s. With negative skew and little delay an arrival can precede its send instant.
/// 3. Stall: if it leaves inside a stall window (`ImpairmentSpec.Stall`), it leaves when the window ends.
/// 4. Delay: it arrives after the fixed delay plus a jitter draw (`JitterDistribution`; a Pareto draw is
///    capped at 100 x jitter, reached with probability 0.003 %, so one draw cannot hold a FIFO link for long).
/// 5. Duplication: a delivered packet is duplicated with probability `duplicatePercent`; the copy takes its
///    own jitter draw.
/// 6. Order: with `reordering` (the default) each arrival stands as drawn, so jitter reorders packets; without
///    it an arrival is never earlier than the latest arrival before it (FIFO).
///
/// Every effect draws from its own random stream, the same number of draws for every packet, so a packet's
/// fate depends only on its index and send time: adding jitter does not change which packets are lost.
/// `origin` is the start of the stall and skew timelines: the first packet's send time unless given.
///
/// A value type, not thread-safe: keep each model on one thread (one per direction of a link).
public struct ImpairmentModel: Sendable {
    public let spec: ImpairmentSpec
    /// The instant the skew and stall timelines start from; set by the first packet when not given.
    public private(set) var origin: ClockInstant?
    public private(set) var counters = ImpairmentCounters()

    private var lossRandom: ImpairmentRandom
    private var burstRandom: ImpairmentRandom
    private var jitterRandom: ImpairmentRandom
    private var duplicateRandom: ImpairmentRandom
    private var duplicateJitterRandom: ImpairmentRandom
    private var burstIsBad = false
    private var latestArrival: ClockInstant?

    private let lossProbability: Double
    private let duplicateProbability: Double
    private let delayNanoseconds: Int64
    private let stallNanoseconds: (duration: Int64, period: Int64)?

    /// A model for `spec`. `stream` selects an independent set of random draws for the same seed (use one per
    /// direction of a link: 0 and 1); `origin` fixes the timeline start (default: the first packet's send time).
    public init(spec: ImpairmentSpec, stream: UInt64 = 0, origin: ClockInstant? = nil) {
        self.spec = spec
        self.origin = origin
        let base = stream &* 8
        lossRandom = ImpairmentRandom(seed: spec.seed, stream: base)
        burstRandom = ImpairmentRandom(seed: spec.seed, stream: base + 1)
        jitterRandom = ImpairmentRandom(seed: spec.seed, stream: base + 2)
        duplicateRandom = ImpairmentRandom(seed: spec.seed, stream: base + 3)
        duplicateJitterRandom = ImpairmentRandom(seed: spec.seed, stream: base + 4)
        lossProbability = spec.lossPercent / 100
        duplicateProbability = spec.duplicatePercent / 100
        delayNanoseconds = Self.nanoseconds(spec.delayMilliseconds)
        stallNanoseconds = spec.stall.map {
            (Self.nanoseconds($0.durationMilliseconds), Self.nanoseconds($0.periodMilliseconds))
        }
    }

    /// The fate of the next packet, sent at `sent`.
    public mutating func fate(ofPacketSentAt sent: ClockInstant) -> PacketFate {
        let origin = self.origin ?? sent
        self.origin = origin
        counters.packets += 1

        // Every stream draws the same amount for every packet, whatever happens to it.
        let randomLoss = lossRandom.unit() < lossProbability
        let burstLoss = stepBurstChain()
        let jitter = jitterNanoseconds(using: &jitterRandom)
        let duplicate = duplicateRandom.unit() < duplicateProbability
        let duplicateJitter = jitterNanoseconds(using: &duplicateJitterRandom)

        if randomLoss || burstLoss {
            counters.lost += 1
            return .lost
        }
        let departure = departureInstant(sent: sent, origin: origin)
        var first = arrival(departure: departure, jitter: jitter)
        guard duplicate else {
            latestArrival = first
            return .delivered(at: first)
        }
        counters.duplicated += 1
        var second = arrival(departure: departure, jitter: duplicateJitter)
        if second < first { swap(&first, &second) }
        latestArrival = second
        return .duplicated(first: first, second: second)
    }

    /// Steps the Gilbert-Elliott chain (two draws) and says whether this packet is lost to it.
    private mutating func stepBurstChain() -> Bool {
        let lossDraw = burstRandom.unit()
        let transitionDraw = burstRandom.unit()
        guard let burst = spec.burstLoss else { return false }
        let lost = lossDraw < (burstIsBad ? burst.lossInBad : burst.lossInGood)
        if burstIsBad {
            if transitionDraw < burst.r { burstIsBad = false }
        } else {
            if transitionDraw < burst.p { burstIsBad = true }
        }
        return lost
    }

    /// The jitter part of a delay, ns (one draw); negative only for the normal distribution.
    private func jitterNanoseconds(using random: inout ImpairmentRandom) -> Int64 {
        let uniform = random.unitOpen()
        let jitter = spec.jitterMilliseconds
        guard jitter > 0 else { return 0 }
        switch spec.jitterDistribution {
        case .normal:
            return Self.nanoseconds(jitter * ImpairmentMath.inverseNormalCDF(uniform))
        case .pareto:
            let shape = ImpairmentSpec.JitterDistribution.paretoShape
            let scale = jitter * (shape - 1)  // Lomax mean = scale / (shape - 1) = jitter.
            let extra = scale * (ImpairmentMath.exp(-ImpairmentMath.log(uniform) / shape) - 1)
            return Self.nanoseconds(min(extra, 100 * jitter))
        }
    }

    /// When the packet leaves: skewed against `origin`, then held to the end of a stall window.
    private func departureInstant(sent: ClockInstant, origin: ClockInstant) -> ClockInstant {
        var elapsed = sent.nanoseconds - origin.nanoseconds
        if spec.skewPartsPerMillion != 0 {
            elapsed += Int64((Double(elapsed) * spec.skewPartsPerMillion / 1_000_000).rounded())
        }
        if let stall = stallNanoseconds, elapsed >= stall.period {
            let windowStart = elapsed - elapsed % stall.period
            if elapsed - windowStart < stall.duration { elapsed = windowStart + stall.duration }
        }
        return origin.advanced(byNanoseconds: elapsed)
    }

    /// Departure plus delay and jitter (their sum never below 0); with reordering off, never before the
    /// latest arrival so far.
    private func arrival(departure: ClockInstant, jitter: Int64) -> ClockInstant {
        var arrival = departure.advanced(byNanoseconds: max(0, delayNanoseconds + jitter))
        if !spec.reordering, let latestArrival, arrival < latestArrival { arrival = latestArrival }
        return arrival
    }

    private static func nanoseconds(_ milliseconds: Double) -> Int64 { Int64((milliseconds * 1_000_000).rounded()) }
}
