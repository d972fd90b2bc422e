/// What a simulated network does to packets: random and burst loss, fixed delay, jitter (and the reordering
/// it causes), duplication, periodic stalls and a sender clock skew, plus the seed that makes it repeatable.
///
/// A value type with no behaviour of its own: `ImpairmentModel` applies it packet by packet. Write one as text
/// with `ImpairmentSpec(parsing:)` (the grammar and the presets are documented there); `description` gives
/// the canonical text back, and parsing that text gives an equal spec.
public struct ImpairmentSpec: Sendable, Equatable {
    /// Independent random loss, percent of packets (0...100).
    public var lossPercent: Double
    /// Gilbert-Elliott burst loss, applied on top of `lossPercent`; nil: none.
    public var burstLoss: BurstLoss?
    /// Fixed one-way delay added to every packet, ms (0...60000).
    public var delayMilliseconds: Double
    /// Jitter, ms (0...10000): the standard deviation of a normal delay, or the mean extra delay of a Pareto
    /// one (see `JitterDistribution`).
    public var jitterMilliseconds: Double
    /// How jitter is distributed.
    public var jitterDistribution: JitterDistribution
    /// Whether jitter may reorder packets (true, the default: every packet's delay is drawn independently) or
    /// the link keeps FIFO order (false: a packet never arrives before the one sent ahead of it).
    public var reordering: Bool
    /// Percent of delivered packets that arrive twice (0...100); the copy gets its own jitter.
    public var duplicatePercent: Double
    /// Periodic stalls (a Wi-Fi scan, a handover); nil: none.
    public var stall: Stall?
    /// Sender clock skew, parts per million (-100000...100000); see `ImpairmentModel` for the sign.
    public var skewPartsPerMillion: Double
    /// Seed of the pseudo-random generator: the same seed and send times give the same fates.
    public var seed: UInt64

    /// The seed used when none is given.
    public static let defaultSeed: UInt64 = 1

    public init(
        lossPercent: Double = 0,
        burstLoss: BurstLoss? = nil,
        delayMilliseconds: Double = 0,
        jitterMilliseconds: Double = 0,
        jitterDistribution: JitterDistribution = .normal,
        reordering: Bool = true,
        duplicatePercent: Double = 0,
        stall: Stall? = nil,
        skewPartsPerMillion: Double = 0,
        seed: UInt64 = ImpairmentSpec.defaultSeed
    ) {
        self.lossPercent = lossPercent
        self.burstLoss = burstLoss
        self.delayMilliseconds = delayMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.jitterDistribution = jitterDistribution
        self.reordering = reordering
        self.duplicatePercent = duplicatePercent
        self.stall = stall
        self.skewPartsPerMillion = skewPartsPerMillion
        self.seed = seed
    }

    /// A perfect network: every packet arrives once, at once, in order.
    public static let clean = ImpairmentSpec()

    /// True when the spec equals `clean` apart from its seed: every packet arrives once, at once, in order.
    public var isClean: Bool {
        var unseeded = self
        unseeded.seed = ImpairmentSpec.defaultSeed
        return unseeded == .clean
    }
}
