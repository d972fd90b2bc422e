import Foundation

/// Milliseconds since 1970: the time records are stamped and checked with (records travel between
/// machines, so a monotonic clock would not do). Only the node's edges read it; `RecordVerifier` takes
/// it as an argument.
public enum WallClock {
    public static func milliseconds() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }
}

/// Sequence numbers for one node's records of one kind: the wall clock in milliseconds, but always above
/// the last one, so a restarted node still outranks its older records.
public struct RecordSequence: Sendable {
    private var last: UInt64 = 0
    public init() {}

    public mutating func next(nowMilliseconds: UInt64) -> UInt64 {
        last = max(nowMilliseconds, last + 1)
        return last
    }
}
