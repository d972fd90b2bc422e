/// Wraparound-aware arithmetic on RTP's 16-bit sequence numbers and 32-bit timestamps (RFC 3550).
///
/// All comparisons between sequence numbers or timestamps go through these functions, so wraparound is
/// handled (and tested) in exactly one place.
public enum RTPSequence {
    /// Whether `a` comes after `b`, treating the 16-bit space as a circle (RFC 1982 serial arithmetic).
    /// For a distance of exactly half the space the answer is `a > b` numerically, so it is antisymmetric.
    @inlinable
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        let diff = a &- b
        if diff == 0x8000 { return a > b }
        return diff != 0 && diff < 0x8000
    }

    /// The signed distance from `b` to `a` in the 16-bit circle, in `-32768 ..< 32768`.
    @inlinable
    public static func distance(from b: UInt16, to a: UInt16) -> Int {
        Int(Int16(bitPattern: a &- b))
    }

    /// Whether timestamp `a` comes after `b` on the 32-bit circle.
    @inlinable
    public static func isNewer(timestamp a: UInt32, than b: UInt32) -> Bool {
        let diff = a &- b
        if diff == 0x8000_0000 { return a > b }
        return diff != 0 && diff < 0x8000_0000
    }

    /// The signed distance from timestamp `b` to `a`.
    @inlinable
    public static func distance(fromTimestamp b: UInt32, to a: UInt32) -> Int64 {
        Int64(Int32(bitPattern: a &- b))
    }
}

/// Extends wrapping 16-bit sequence numbers to a monotonic 64-bit count, relative to the first one seen.
///
/// Values that arrive out of order (within half the space) map to their correct position, before or
/// after the highest value seen so far.
public struct SequenceUnwrapper: Sendable {
    private var last: (wrapped: UInt16, unwrapped: Int64)?

    public init() {}

    public mutating func unwrap(_ value: UInt16) -> Int64 {
        guard let last else {
            self.last = (value, Int64(value))
            return Int64(value)
        }
        let unwrapped = last.unwrapped + Int64(RTPSequence.distance(from: last.wrapped, to: value))
        if unwrapped > last.unwrapped { self.last = (value, unwrapped) }
        return unwrapped
    }
}

/// Extends wrapping 32-bit RTP timestamps to a monotonic 64-bit count, like `SequenceUnwrapper`.
public struct TimestampUnwrapper: Sendable {
    private var last: (wrapped: UInt32, unwrapped: Int64)?

    public init() {}

    public mutating func unwrap(_ value: UInt32) -> Int64 {
        guard let last else {
            self.last = (value, Int64(value))
            return Int64(value)
        }
        let unwrapped = last.unwrapped + RTPSequence.distance(fromTimestamp: last.wrapped, to: value)
        if unwrapped > last.unwrapped { self.last = (value, unwrapped) }
        return unwrapped
    }
}
