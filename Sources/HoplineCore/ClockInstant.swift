/// A point in time on one clock, counted in nanoseconds from that clock's own origin.
///
/// Instants from different clocks are not comparable in meaning; the type does not try to stop that, so
/// keep each component on the one clock it was given.
public struct ClockInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = ClockInstant(nanoseconds: 0)

    public static func milliseconds(_ ms: Double) -> ClockInstant {
        ClockInstant(nanoseconds: Int64((ms * 1_000_000).rounded()))
    }

    public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
    public var seconds: Double { Double(nanoseconds) / 1_000_000_000 }

    public static func < (lhs: ClockInstant, rhs: ClockInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func advanced(byNanoseconds delta: Int64) -> ClockInstant {
        ClockInstant(nanoseconds: nanoseconds + delta)
    }

    public func advanced(byMilliseconds ms: Double) -> ClockInstant {
        advanced(byNanoseconds: Int64((ms * 1_000_000).rounded()))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    public func milliseconds(since earlier: ClockInstant) -> Double {
        Double(nanoseconds - earlier.nanoseconds) / 1_000_000
    }

    public var description: String { String(format3(milliseconds)) + " ms" }
}

/// Formats with three decimals without Foundation (HoplineCore stays free of it).
func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded()
    let sign = scaled < 0 ? "-" : ""
    let magnitude = Int64(abs(scaled))
    let fraction = magnitude % 1000
    let fractionText = String(fraction)
    return "\(sign)\(magnitude / 1000)." + String(repeating: "0", count: 3 - fractionText.count) + fractionText
}
