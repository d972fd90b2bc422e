/// Collects a series of measurements (delays, in milliseconds) and summarises them: count, mean,
/// percentiles and maximum. Not for real-time threads: it appends to an array.
public struct DelaySummary: Equatable, Sendable {
    public private(set) var values: [Double] = []

    public init() {}

    public mutating func add(_ value: Double) { values.append(value) }

    public var count: Int { values.count }

    public var mean: Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    public var maximum: Double { values.max() ?? 0 }

    /// The `p`-th percentile (0...100) by the nearest-rank method; 0 when empty.
    public func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
