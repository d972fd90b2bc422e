/// Chooses a jitter buffer's target delay by expected call quality (an ITU-T G.107 E-model cost) instead of a
/// fixed percentile: a longer target loses fewer late packets but adds delay, and past ~180 ms mouth-to-ear
/// every millisecond costs more. Pure arithmetic on a delay distribution: no clock, no state.
///
/// For a candidate target T (ms after a packet's earliest possible arrival), each frame has carriers: its own
/// packet, the RED copies riding in the next `redundancyDepth` packets, or else the in-band FEC of the next
/// packet. A carrier sent `m` frames later is in time when its relative delay is at most
/// T - margin - m x frame (`margin`: the playout period, since decisions are taken a period ahead). Packets
/// are lost in the network with probability `networkLoss` and delayed independently after the measured
/// distribution, so
///
///     P(frame missing) = product over its carriers of (1 - (1 - networkLoss) * F(T - margin - m x frame))
///
/// with F the distribution of relative delay (`DelayEstimator.cumulativeShares`). A frame rebuilt from FEC
/// counts as `fecRebuiltLossWeight` of a loss; the effective loss gives Ie,eff with Opus's Ie and Bpl
/// (`EModel`), the mouth-to-ear delay `networkDelay + T + fixedDelay` gives Id, and R = 93.2 - Id - Ie,eff.
/// The independence is an approximation (jitter is often correlated), which is why the buffer only takes
/// this target under heavy jitter (`engageAboveMilliseconds`) and keeps the plain percentile elsewhere.
public struct PlayoutQualityModel: Equatable, Sendable {
    /// Constants of the cost; each is documented with where it comes from.
    public struct Configuration: Equatable, Sendable {
        /// The model replaces the percentile target only when that target is at least this (ms): on a clean
        /// or mildly jittery path the buffer keeps today's small targets.
        public var engageAboveMilliseconds: Double = 60
        /// ... and only while the network loses at least this share of packets (0...1): "heavy jitter with
        /// loss". Without loss late packets are the only loss, and a stall (a burst of late packets, all
        /// delayed together) breaks the model's independence assumption; the percentile handles both.
        public var engageAboveNetworkLoss = 0.01
        /// In-band FEC is assumed present only at this network loss and above: Hopline's sender plans no FEC
        /// below 1 % estimated loss (`SenderAdaptation`'s buckets), and libopus sends LBRR only when planned.
        public var fecAboveNetworkLoss = 0.01
        /// Mouth-to-ear delay outside the buffer and the network (ms): one 20 ms frame of capture, Opus's
        /// 6.5 ms look-ahead and a 10 ms playout period (the lab's mouth-to-ear measure counts exactly these).
        public var fixedDelayMilliseconds: Double = 36.5
        /// One-way network delay not seen by the buffer (which measures delay above the fastest packet): the
        /// path's minimum one-way delay, ms. 0 when unknown (the lab's jitter conditions have a floor of 0).
        public var networkDelayMilliseconds: Double = 0
        /// Ie for the codec at its bitrate (G.107 Ie on the narrowband scale): `EModel.opusEquipmentImpairment`.
        public var equipmentImpairment = EModel.opusEquipmentImpairment
        /// Bpl for the codec with its concealment: `EModel.opusPacketLossRobustness` (G.113 App. I, G.711+PLC).
        public var packetLossRobustness = EModel.opusPacketLossRobustness
        /// How much of a loss a frame rebuilt from in-band FEC still costs: Opus's LBRR frame is a low-bitrate
        /// copy (issue 10 measured 4.5-7.7 dB SNR on rebuilt frames), about half as bad as concealment.
        public var fecRebuiltLossWeight = 0.5
        /// A new target replaces the current one only when its rating is higher by this much (R points), so
        /// the target does not wander along the flat top of the curve.
        public var hysteresisRating = 1.0
        /// Candidate targets are searched in steps of this (ms).
        public var stepMilliseconds: Double = 1

        public init() {}
    }

    /// What the buffer knows about the stream when it chooses.
    public struct Stream: Equatable, Sendable {
        /// `DelayEstimator.cumulativeShares`: share of packets with relative delay below (i + 1) x bucket.
        public var cumulativeShares: [Double]
        public var bucketMilliseconds: Double
        /// Share of packets lost in the network (never arrived, late ones not counted), 0...1.
        public var networkLoss: Double
        /// RED copies per packet being received (0: none).
        public var redundancyDepth: Int
        /// Whether the next packet's in-band FEC can rebuild a missing frame.
        public var inBandFEC: Bool
        public var frameMilliseconds: Double
        /// The playout period: decisions are taken this long before a frame plays.
        public var marginMilliseconds: Double

        public init(
            cumulativeShares: [Double], bucketMilliseconds: Double, networkLoss: Double, redundancyDepth: Int, inBandFEC: Bool,
            frameMilliseconds: Double, marginMilliseconds: Double
        ) {
            self.cumulativeShares = cumulativeShares
            self.bucketMilliseconds = bucketMilliseconds
            self.networkLoss = networkLoss
            self.redundancyDepth = redundancyDepth
            self.inBandFEC = inBandFEC
            self.frameMilliseconds = frameMilliseconds
            self.marginMilliseconds = marginMilliseconds
        }

        /// F(x): the share of packets with relative delay at most `x` ms.
        func share(within x: Double) -> Double {
            let index = Int((x / bucketMilliseconds).rounded(.down)) - 1
            guard index >= 0, !cumulativeShares.isEmpty else { return 0 }
            return cumulativeShares[min(index, cumulativeShares.count - 1)]
        }
    }

    /// The effective loss and the rating of one candidate target.
    public struct Assessment: Equatable, Sendable {
        public var targetMilliseconds: Double
        /// Frames missing entirely plus the FEC-rebuilt ones at their weight, percent.
        public var effectiveLossPercent: Double
        public var rating: Double
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The expected quality of playing `stream` at target `target` (ms).
    public func assess(target: Double, stream: Stream) -> Assessment {
        let q = min(max(stream.networkLoss, 0), 1)
        let inTime = { (carrier: Int) in
            (1 - q) * stream.share(within: target - stream.marginMilliseconds - Double(carrier) * stream.frameMilliseconds)
        }
        var missing = 1 - inTime(0)
        if stream.redundancyDepth > 0 {
            for carrier in 1...stream.redundancyDepth { missing *= 1 - inTime(carrier) }
        }
        var rebuilt = 0.0
        if stream.redundancyDepth == 0 && stream.inBandFEC {
            rebuilt = missing * inTime(1)
            missing -= rebuilt
        }
        let loss = 100 * (missing + configuration.fecRebuiltLossWeight * rebuilt)
        let delay = configuration.networkDelayMilliseconds + target + configuration.fixedDelayMilliseconds
        let impairment = EModel.delayImpairment(oneWayDelayMilliseconds: delay)
            + EModel.effectiveEquipmentImpairment(
                lossPercent: loss, equipmentImpairment: configuration.equipmentImpairment,
                packetLossRobustness: configuration.packetLossRobustness)
        return Assessment(targetMilliseconds: target, effectiveLossPercent: loss, rating: 93.2 - impairment)
    }

    /// The best target between `lowest` and `highest` (ms): the highest rating, the shorter target on a tie.
    public func best(stream: Stream, lowest: Double, highest: Double) -> Assessment {
        var best = assess(target: lowest, stream: stream)
        var target = lowest + configuration.stepMilliseconds
        while target <= highest {
            let candidate = assess(target: target, stream: stream)
            if candidate.rating > best.rating { best = candidate }
            target += configuration.stepMilliseconds
        }
        return best
    }

    /// The target to use next: the best one if it beats `current` by the hysteresis margin (or there is no
    /// current target), else `current`.
    public func choose(stream: Stream, current: Double?, lowest: Double, highest: Double) -> Double {
        let best = best(stream: stream, lowest: lowest, highest: highest)
        guard let current else { return best.targetMilliseconds }
        let kept = assess(target: current, stream: stream)
        return best.rating > kept.rating + configuration.hysteresisRating ? best.targetMilliseconds : current
    }
}
