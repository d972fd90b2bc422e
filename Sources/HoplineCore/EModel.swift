/// A simplified ITU-T G.107 E-model: predicts a conversational MOS from one-way delay and packet loss.
///
/// R = R0 - Is - Id - Ie,eff + A with the default R0 - Is = 93.2 and A = 0; Id from the mouth-to-ear delay
/// (G.107 7.3, simplified to the widely used two-slope form); Ie,eff from the effective loss (G.107 7.4).
/// Opus has no G.113 entry: Hopline uses Ie = 0 (a wideband codec at speech bitrates is transparent on this
/// narrowband scale) and Bpl = 25 (a codec with good packet-loss concealment, like G.711 with PLC).
public enum EModel {
    /// The transmission rating factor R (0...100).
    public static func rating(oneWayDelayMilliseconds delay: Double, lossPercent: Double, burstRatio: Double = 1) -> Double {
        let delayImpairment = 0.024 * delay + (delay > 177.3 ? 0.11 * (delay - 177.3) : 0)
        let ie = 0.0, bpl = 25.0
        let loss = max(0, min(100, lossPercent))
        let lossImpairment = ie + (95 - ie) * loss / (loss / max(burstRatio, 1) + bpl)
        return max(0, min(100, 93.2 - delayImpairment - lossImpairment))
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
