extension ImpairmentSpec {
    /// Gilbert-Elliott burst loss: a two-state Markov chain stepped once per packet. In the good state a
    /// packet is lost with probability `lossInGood` (k) and the chain turns bad with probability `p`; in the
    /// bad state a packet is lost with probability `lossInBad` (h) and the chain turns good with probability
    /// `r`. With the defaults h = 1, k = 0 (the Gilbert model) losses come in bursts of mean length 1/r and
    /// the long-run loss rate is p / (p + r).
    public struct BurstLoss: Sendable, Equatable {
        /// Probability of going from the good to the bad state at a packet (0...1).
        public var p: Double
        /// Probability of going from the bad to the good state at a packet (0 < r <= 1).
        public var r: Double
        /// Probability that a packet sent in the bad state is lost (0...1).
        public var lossInBad: Double
        /// Probability that a packet sent in the good state is lost (0...1).
        public var lossInGood: Double

        public init(p: Double, r: Double, lossInBad: Double = 1, lossInGood: Double = 0) {
            self.p = p
            self.r = r
            self.lossInBad = lossInBad
            self.lossInGood = lossInGood
        }

        /// The share of packets sent in the bad state, in the long run: p / (p + r).
        public var badStateShare: Double { p + r > 0 ? p / (p + r) : 0 }

        /// The long-run loss rate (0...1): h p / (p + r) + k r / (p + r).
        public var lossRate: Double { badStateShare * lossInBad + (1 - badStateShare) * lossInGood }

        /// Mean number of consecutive packets sent in the bad state: 1 / r (the mean burst of losses when h = 1).
        public var meanBadRunLength: Double { 1 / r }
    }

    /// How the jitter part of each packet's delay is drawn.
    public enum JitterDistribution: String, Sendable, Equatable, CaseIterable {
        /// Delay = fixed delay + N(0, jitter²), never below 0 (as Linux netem draws it): jitter is the
        /// standard deviation and the delay is symmetric around the fixed delay. Keep the fixed delay at 3x
        /// the jitter or more, or the clamp at 0 narrows the spread.
        case normal
        /// Delay = fixed delay + a Pareto (Lomax) extra delay of shape `paretoShape` (2.5) and scale 1.5 x
        /// jitter: never below the fixed delay, mean extra delay = jitter, standard deviation ~2.24 x jitter,
        /// and a heavy tail: 2.6 % of packets are more than 5 x jitter late (a normal jitter: 0.00003 %).
        /// Queueing behind bursts of cross traffic looks like this.
        case pareto

        /// The shape (alpha) of the Pareto jitter: finite mean and variance, a tail far heavier than normal.
        public static let paretoShape = 2.5
    }

    /// A periodic stall: window k (k = 1, 2, ...) covers [origin + k x period, origin + k x period + duration);
    /// a packet that would leave during a window is held until the window ends, then delayed as usual. The
    /// packets held in one window arrive as a burst after it, like after a Wi-Fi scan or a handover.
    public struct Stall: Sendable, Equatable {
        /// How long each stall lasts, ms (> 0, shorter than the period).
        public var durationMilliseconds: Double
        /// Time from one stall's start to the next, ms.
        public var periodMilliseconds: Double

        public init(durationMilliseconds: Double, periodMilliseconds: Double) {
            self.durationMilliseconds = durationMilliseconds
            self.periodMilliseconds = periodMilliseconds
        }
    }
}
