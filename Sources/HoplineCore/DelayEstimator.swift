/// Estimates the playout delay a stream needs from how late its packets arrive (after WebRTC NetEq's
/// delay manager).
///
/// For every packet it computes the transit time (arrival minus the media time the timestamp says), keeps
/// the minimum transit over a sliding window (the path's floor, which moves slowly when the two clocks
/// drift), and puts the packet's *relative delay* (transit minus that floor) into a histogram whose old
/// mass is forgotten packet by packet. The target delay is a high quantile of that histogram: it rises
/// within a packet or two of a spike and comes back down as the spike's mass is forgotten.
public struct DelayEstimator: Sendable {
    /// Tuning constants, chosen by measurement in the quality benchmark (see README).
    public struct Configuration: Equatable, Sendable {
        /// The share of packets that may arrive too late for the target (1 - quantile).
        public var quantile: Double = 0.98
        /// Per-packet forgetting of histogram mass: memory of about 1 / (1 - factor) packets.
        public var forgetFactor: Double = 0.99
        /// Histogram resolution, milliseconds.
        public var bucketMilliseconds: Double = 1
        /// Largest relative delay the histogram tells apart, milliseconds.
        public var maximumMilliseconds: Double = 2_000
        /// How long a minimum transit stays the floor, nanoseconds. Short enough that a drifting sender
        /// clock (transit rising 1 ms/s at 1000 ppm) leaves the floor at most 2 ms behind.
        public var floorWindowNanoseconds: Int64 = 2_000_000_000
        /// Until the memory is full (1 / (1 - forgetFactor) packets), give every packet the same weight, so the
        /// first packet does not outweigh the next hundred and the early target is a quantile of what was seen.
        /// Off: the first packet starts with all the mass and later ones add 1 - forgetFactor each.
        public var weighsEarlyPacketsEqually = true

        public init() {}
    }

    public let configuration: Configuration
    /// Histogram mass, scaled by `weight` so forgetting is one multiplication instead of a pass.
    private var histogram: [Double]
    private var weight = 1.0
    private var floor = SlidingMinimum()
    private var packets = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        histogram = [Double](
            repeating: 0, count: Int(configuration.maximumMilliseconds / configuration.bucketMilliseconds) + 1)
    }

    /// The current minimum transit in milliseconds: when the earliest packets arrive relative to media time.
    public var floorMilliseconds: Double? { floor.minimum }

    /// Packets seen so far.
    public var count: Int { packets }

    /// Records one packet's arrival. `mediaMilliseconds` is its RTP timestamp in ms (extended, any origin).
    public mutating func record(arrival: ClockInstant, mediaMilliseconds: Double) {
        let transit = arrival.milliseconds - mediaMilliseconds
        floor.add(transit, at: arrival.nanoseconds, window: configuration.floorWindowNanoseconds)
        let relative = max(0, transit - (floor.minimum ?? transit))
        let bucket = min(histogram.count - 1, Int(relative / configuration.bucketMilliseconds))
        // Forgetting: every old mass shrinks by (1 - share), i.e. new mass grows by 1 / (1 - share). Until the
        // memory is full every packet has the same share (a plain mean of the first packets), so the first
        // packet does not outweigh the next hundred: the early target is a quantile of what was seen.
        let share =
            packets == 0 ? 1 : configuration.weighsEarlyPacketsEqually ? max(1 - configuration.forgetFactor, 1 / Double(packets + 1))
            : 1 - configuration.forgetFactor
        if packets > 0 { weight /= 1 - share }
        histogram[bucket] += share * weight
        if weight > 1e100 {
            for index in histogram.indices { histogram[index] /= weight }
            weight = 1
        }
        packets += 1
    }

    /// The relative delay (ms) below which `configuration.quantile` of the (weighted) packets arrived.
    public var targetMilliseconds: Double {
        guard packets > 0 else { return 0 }
        let total = histogram.reduce(0, +)
        var cumulative = 0.0
        for (index, mass) in histogram.enumerated() {
            cumulative += mass
            if cumulative >= configuration.quantile * total {
                return Double(index + 1) * configuration.bucketMilliseconds
            }
        }
        return configuration.maximumMilliseconds
    }

    /// The (weighted) share of packets whose relative delay was at most `milliseconds`, one entry per histogram
    /// bucket: `shares[i]` is the share with relative delay below `(i + 1) * bucketMilliseconds`. Empty before
    /// the first packet. For `PlayoutQualityModel`, which weighs late loss against delay.
    public var cumulativeShares: [Double] {
        guard packets > 0 else { return [] }
        let total = histogram.reduce(0, +)
        var cumulative = 0.0
        return histogram.map { mass in
            cumulative += mass
            return min(1, cumulative / total)
        }
    }

    public mutating func reset() { self = DelayEstimator(configuration: configuration) }

    /// Forgets the path's floor (minimum transit): the next packet sets it anew. For a path change, where
    /// the old floor would make every packet on a slower path look late by the difference.
    public mutating func restartFloor() { floor = SlidingMinimum() }
}

/// The minimum of values added over a sliding time window (a monotonic deque: amortised O(1)).
struct SlidingMinimum: Sendable {
    private var entries: [(time: Int64, value: Double)] = []
    private var head = 0

    var minimum: Double? { head < entries.count ? entries[head].value : nil }

    mutating func add(_ value: Double, at time: Int64, window: Int64) {
        while entries.count > head, let last = entries.last, last.value >= value { entries.removeLast() }
        entries.append((time, value))
        while head < entries.count - 1, entries[head].time < time - window { head += 1 }
        if head > 256 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
