/// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64: a small, fast pseudo-random generator
/// whose output depends only on its seed, so impairment runs repeat exactly on every machine.
///
/// Not for cryptography. A value type: copying it forks the stream.
struct ImpairmentRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator for `seed`; `stream` picks an independent sequence for the same seed (one per effect and
    /// direction), so enabling one effect never shifts another effect's draws.
    init(seed: UInt64, stream: UInt64) {
        var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        s0 = ImpairmentRandom.splitMix(&mixer)
        s1 = ImpairmentRandom.splitMix(&mixer)
        s2 = ImpairmentRandom.splitMix(&mixer)
        s3 = ImpairmentRandom.splitMix(&mixer)
    }

    mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform Double strictly inside (0, 1): safe for logarithms and negative powers.
    mutating func unitOpen() -> Double {
        ImpairmentRandom.openUnit(next())
    }

    /// Maps 64 random bits into (0, 1): the midpoints of 2^52 equal cells. 52 bits, not 53, so that adding
    /// 0.5 stays exact and the largest value is 1 - 2^-53, never 1.
    static func openUnit(_ bits: UInt64) -> Double {
        (Double(bits >> 12) + 0.5) * 0x1.0p-52
    }

    /// A standard normal sample (the inverse normal CDF of one uniform): always consumes exactly one output.
    mutating func standardNormal() -> Double {
        ImpairmentMath.inverseNormalCDF(unitOpen())
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
