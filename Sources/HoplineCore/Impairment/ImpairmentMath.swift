/// The few elementary functions the impairment model needs, in pure Swift (HoplineCore has no C library):
/// only IEEE additions, multiplications, divisions and square roots, so results are identical on every
/// platform and the same seed gives the same fates everywhere.
enum ImpairmentMath {
    private static let ln2 = 0.693_147_180_559_945_309_417_232_121_458
    private static let sqrtHalf = 0.707_106_781_186_547_524_400_844_362_105

    /// Natural logarithm of a positive finite `x`, accurate to a few ulp.
    static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log of \(x) (expected a positive finite number)")
        // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
        var exponent = Double(x.exponent)
        var mantissa = x.significand  // [1, 2)
        if mantissa > 2 * sqrtHalf {
            mantissa /= 2
            exponent += 1
        }
        let s = (mantissa - 1) / (mantissa + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var denominator = 1.0
        for _ in 0..<14 {  // s^29 / 29 < 1e-23: well past Double precision.
            sum += term / denominator
            term *= s2
            denominator += 2
        }
        return 2 * sum + exponent * ln2
    }

    /// e^x for finite `x` in -700...700, accurate to a few ulp.
    static func exp(_ x: Double) -> Double {
        precondition(x.isFinite && abs(x) <= 700, "exp of \(x) (expected -700...700)")
        // x = k ln 2 + r with |r| <= ln2 / 2 (ln 2 split in two so k ln 2 is exact, as in fdlibm); e^r by its
        // Taylor series; then scale by 2^k.
        let k = (x / ln2).rounded()
        let r = (x - k * 6.931_471_803_691_238_164_90e-01) - k * 1.908_214_929_270_587_700_02e-10
        var term = 1.0
        var sum = 1.0
        for n in 1...20 {  // 0.35^21 / 21! < 1e-28.
            term *= r / Double(n)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
    }

    /// x^y for positive `x`.
    static func pow(_ x: Double, _ y: Double) -> Double { exp(y * log(x)) }

    /// The standard normal quantile of `p` in (0, 1): Acklam's rational approximation (relative error below
    /// 1.15e-9), plenty for simulated jitter.
    static func inverseNormalCDF(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile of \(p) (expected 0 < p < 1)")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p < low { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - low { return -tail((-2 * log(1 - p)).squareRoot()) }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
