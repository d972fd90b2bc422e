/// A simplified ITU-T G.107 E-model: predicts a conversational MOS from one-way delay and packet loss.
///
/// R = R0 - Is - Id - Ie,eff + A with the default R0 - Is = 93.2 and A = 0; Id from the mouth-to-ear delay
/// (G.107 7.3, simplified to the widely used two-slope form); Ie,eff from the effective loss (G.107 7.4).
/// Opus has no G.113 entry: Hopline uses Ie = 0 (a wideband codec at speech bitrates is transparent on this
/// narrowband scale) and Bpl = 25 (G.113 Appendix I gives Bpl 25.1 for G.711 with its Appendix I packet-loss
/// concealment under random loss; Opus's concealment is at least as good).
public enum EModel {
    /// Ie for Opus on the narrowband E-model scale (see the type's comment).
    public static let opusEquipmentImpairment = 0.0
    /// Bpl for Opus with its packet-loss concealment (see the type's comment).
    public static let opusPacketLossRobustness = 25.0

    /// The transmission rating factor R (0...100).
    public static func rating(oneWayDelayMilliseconds delay: Double, lossPercent: Double, burstRatio: Double = 1) -> Double {
        let impairment = delayImpairment(oneWayDelayMilliseconds: delay)
            + effectiveEquipmentImpairment(lossPercent: lossPercent, burstRatio: burstRatio)
        return max(0, min(100, 93.2 - impairment))
    }

    /// Id: the delay impairment of a mouth-to-ear delay (ms), the two-slope form of G.107's Idd (no echo).
    public static func delayImpairment(oneWayDelayMilliseconds delay: Double) -> Double {
        0.024 * delay + (delay > 177.3 ? 0.11 * (delay - 177.3) : 0)
    }

    /// Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl) (G.107 equation 7-29) for a loss in percent.
    public static func effectiveEquipmentImpairment(
        lossPercent: Double, burstRatio: Double = 1, equipmentImpairment ie: Double = opusEquipmentImpairment,
        packetLossRobustness bpl: Double = opusPacketLossRobustness
    ) -> Double {
        let loss = max(0, min(100, lossPercent))
        return ie + (95 - ie) * loss / (loss / max(burstRatio, 1) + bpl)
    }

    /// MOS (1...4.5) from R (G.107 Annex B).
    public static func meanOpinionScore(rating r: Double) -> Double {
        if r <= 0 { return 1 }
        if r >= 100 { return 4.5 }
        return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6
    }

    public static func meanOpinionScore(oneWayDelayMilliseconds delay: Double, lossPercent: Double, burstRatio: Double = 1)
        -> Double
    {
        meanOpinionScore(rating: rating(oneWayDelayMilliseconds: delay, lossPercent: lossPercent, burstRatio: burstRatio))
    }
}
