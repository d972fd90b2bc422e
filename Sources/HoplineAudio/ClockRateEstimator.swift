/// A device's real sample rate against the node's clock, from (time, total frames) points: the least-squares
/// slope over a sliding window of points at least `spacing` seconds apart (by default 600 points, 5 minutes),
/// so callback jitter averages out (callbacks stamped with up to 5 ms of jitter: a standard error of about 4 ppm after 90 s, 0.7 ppm
/// after 5 minutes) and a slow change (a warming
/// crystal) is still followed.
///
/// A device's first `warmUp` seconds are left out (PortAudio's ALSA-over-PulseAudio stream takes a burst of
/// frames to fill its buffer at start: measured here as a 100 ms step that read as -3300 ppm over a 30 s
/// window), and a point more than `stepTolerance` seconds off the current fit (a stall, an xrun, a stream
/// restart) starts the window over from it.
///
/// Pure logic on the times it is given (no clock of its own). `ppm` is nil until the window spans
/// `minimumSpan` seconds.
public struct ClockRateEstimator: Sendable {
    /// The rate the device is supposed to run at, Hz.
    public let nominalRate: Double
    /// Least time between two kept points, s.
    public let spacing: Double
    /// How long the window must span before there is an estimate, s.
    public let minimumSpan: Double
    /// How many points the window keeps (at `spacing`, it spans `capacity * spacing` seconds).
    public let capacity: Int
    private var times: [Double] = []
    private var counts: [Double] = []
    private var next = 0
    private var origin: DeviceClockPoint?
    private var lastFrames = 0
    /// The fit over the current window, recomputed when a point is kept.
    public private(set) var rate: Double?

    /// Seconds after the first point before points are kept.
    public let warmUp: Double
    /// How far (s) a point may lie off the fit before the window starts over.
    public let stepTolerance: Double
    private var firstSeen: Double?
    /// Times the window started over because of a step.
    public private(set) var steps = 0

    public init(
        nominalRate: Double, spacing: Double = 0.5, minimumSpan: Double = 2, capacity: Int = 600, warmUp: Double = 3,
        stepTolerance: Double = 0.02
    ) {
        self.nominalRate = nominalRate
        self.warmUp = warmUp
        self.stepTolerance = stepTolerance
        self.spacing = spacing
        self.minimumSpan = minimumSpan
        self.capacity = max(2, capacity)
        times.reserveCapacity(self.capacity)
        counts.reserveCapacity(self.capacity)
    }

    /// Adds a point; ignored unless it is at least `spacing` after the last one kept. A point going back in
    /// frames (a restarted stream) starts the window over.
    public mutating func add(_ point: DeviceClockPoint) {
        if origin != nil || firstSeen != nil, point.frames < lastFrames {
            reset()
            firstSeen = nil
        }
        lastFrames = point.frames
        if firstSeen == nil { firstSeen = point.seconds }
        guard let firstSeen, point.seconds - firstSeen >= warmUp else { return }
        if let origin, let rate, let fitted = fittedFrames(at: point.seconds - origin.seconds),
            abs(Double(point.frames - origin.frames) - fitted) > stepTolerance * rate
        {
            reset()
            steps += 1
        }
        if origin == nil { origin = point }
        guard let origin else { return }
        let time = point.seconds - origin.seconds, count = Double(point.frames - origin.frames)
        if let last = lastTime, time - last < spacing { return }
        if times.count < capacity {
            times.append(time)
            counts.append(count)
        } else {
            times[next] = time
            counts[next] = count
            next = (next + 1) % capacity
        }
        rate = fit()
    }

    /// Forgets every point.
    public mutating func reset() {
        times.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        next = 0
        origin = nil
        rate = nil
    }

    private var lastTime: Double? {
        guard !times.isEmpty else { return nil }
        return times.count < capacity ? times.last : times[(next + capacity - 1) % capacity]
    }

    private var intercept = 0.0

    /// The fitted frame count (since the window's origin) at `time` seconds after it.
    private func fittedFrames(at time: Double) -> Double? {
        rate.map { intercept + $0 * time }
    }

    /// The least-squares slope over the window, Hz (nil until it spans `minimumSpan`); sets `intercept`.
    private mutating func fit() -> Double? {
        guard times.count >= 3 else { return nil }
        let n = Double(times.count)
        let meanTime = times.reduce(0, +) / n, meanCount = counts.reduce(0, +) / n
        var covariance = 0.0, variance = 0.0
        for index in times.indices {
            let dt = times[index] - meanTime
            covariance += dt * (counts[index] - meanCount)
            variance += dt * dt
        }
        let span = (times.max() ?? 0) - (times.min() ?? 0)
        guard span >= minimumSpan, variance > 0 else { return nil }
        let slope = covariance / variance
        intercept = meanCount - slope * meanTime
        return slope
    }

    /// How far the device runs from its nominal rate, parts per million (positive: fast).
    public var ppm: Double? { rate.map { ($0 / nominalRate - 1) * 1e6 } }
}
