/// Finds where the speaker's signal shows up in the microphone: the offset, in samples, between a microphone
/// sample and the far-end (reference) sample whose echo it holds, by normalised cross-correlation of the two
/// at a low rate.
///
/// Both streams are counted from their first sample: microphone sample `m` holds the echo of reference sample
/// `m + offset`. Each stream is averaged over `decimation` samples (a box filter, about 2 kHz: where voice
/// has its energy) and kept for `window + maximumLag` low-rate samples; `estimate()` correlates the last
/// `window` of the microphone with every reference stretch that could have caused it (the reference is
/// written before its echo can be captured, so the search runs from the newest reference back by up to
/// `maximumLag`) and returns the best match if it is clear enough. The offset is exact to `decimation`
/// samples; the echo canceller's filter covers the rest.
///
/// Pure Swift, no allocation after `init`; costs `window * maximumLag` multiply-adds per `estimate()`.
public struct EchoDelayEstimator: Sendable {
    /// One estimate.
    public struct Estimate: Sendable, Equatable {
        /// Microphone sample `m` holds the echo of reference sample `m + offset` (full-rate samples).
        public var offset: Int
        /// Full-rate samples between the newest reference and the echo of it in the newest microphone sample
        /// seen, when the estimate was made: how far the microphone lags the reference.
        public var lag: Int
        /// The normalised correlation at the match, 0...1.
        public var correlation: Double
        /// The normalised correlation at the offset `estimate(comparedWith:)` was given (nil: none given, or out
        /// of the range searched).
        public var correlationAtCompared: Double?
    }

    /// Full-rate samples per low-rate sample.
    public let decimation: Int
    /// Low-rate samples of microphone correlated per estimate.
    public let window: Int
    /// The largest lag searched, low-rate samples.
    public let maximumLag: Int
    /// The least normalised correlation accepted as a match.
    public let minimumCorrelation: Double
    /// The least mean square (full scale 1) both windows need: below it the far end is silent.
    public let minimumPower: Double

    private var reference: DecimatedHistory
    private var microphone: DecimatedHistory
    private var micScratch: [Float]
    private var refScratch: [Float]

    /// `sampleRate` / `decimation` is the low rate; `windowSeconds` of microphone is matched against lags up to
    /// `maximumLagSeconds`.
    public init(
        sampleRate: Int, decimation: Int? = nil, windowSeconds: Double = 1, maximumLagSeconds: Double = 1,
        minimumCorrelation: Double = 0.4, minimumPower: Double = 1e-6
    ) {
        let factor = max(1, decimation ?? sampleRate / 2_000)
        self.decimation = factor
        let lowRate = Double(sampleRate) / Double(factor)
        window = max(8, Int(windowSeconds * lowRate))
        maximumLag = max(1, Int(maximumLagSeconds * lowRate))
        self.minimumCorrelation = minimumCorrelation
        self.minimumPower = minimumPower
        reference = DecimatedHistory(decimation: factor, capacity: window + maximumLag)
        microphone = DecimatedHistory(decimation: factor, capacity: window)
        micScratch = [Float](repeating: 0, count: window)
        refScratch = [Float](repeating: 0, count: window + maximumLag)
    }

    /// Appends far-end samples exactly as they went to the speaker.
    public mutating func addReference(_ samples: UnsafeBufferPointer<Float>) { reference.append(samples) }

    /// Appends microphone samples as they were captured.
    public mutating func addMicrophone(_ samples: UnsafeBufferPointer<Float>) { microphone.append(samples) }

    /// The best match of the newest `window` of microphone in the reference, or nil when there is not yet that
    /// much of both, either side is too quiet, or no lag correlates by `minimumCorrelation`.
    /// `comparedWith`: an offset (full-rate samples) whose correlation is reported alongside, so a caller can
    /// tell a real move of the echo from a near miss during double talk.
    /// `searchRadius` (full-rate samples, with `comparedWith`): search only lags that close to the compared
    /// offset (tracking a known echo costs a fraction of a full search).
    public mutating func estimate(comparedWith compared: Int? = nil, searchRadius: Int? = nil) -> Estimate? {
        let microphoneCount = microphone.count, referenceCount = reference.count
        guard microphoneCount >= window, referenceCount >= window else { return nil }
        let micStart = microphoneCount - window
        // Offsets from the newest possible (the reference window ending at the newest reference) back by
        // maximumLag, never before the oldest reference kept.
        let newest = referenceCount - microphoneCount
        let oldestKept = max(0, referenceCount - reference.capacity)
        let lags = min(maximumLag, micStart + newest - oldestKept + 1)
        guard lags > 0 else { return nil }
        // Unroll both rings into straight copies: the search below then walks plain memory.
        let span = window + lags - 1
        let refFirst = micStart + newest - (lags - 1)
        for index in 0..<window { micScratch[index] = microphone[micStart + index] }
        for index in 0..<span { refScratch[index] = reference[refFirst + index] }
        let window = window
        return micScratch.withUnsafeBufferPointer { micBuffer in
            refScratch.withUnsafeBufferPointer { refBuffer in
                let mic = micBuffer.baseAddress!
                let ref = refBuffer.baseAddress!
                var micPower: Float = 0
                for index in 0..<window { micPower += mic[index] * mic[index] }
                guard Double(micPower) / Double(window) >= minimumPower else { return nil }
                // The reference window for lag l starts at refScratch[lags - 1 - l]; its power slides along.
                var power: Float = 0
                for index in 0..<window { power += ref[index] * ref[index] }
                var best: (lag: Int, score: Float, power: Float)?
                // The compared offset's lag, rounded to the low rate.
                let comparedLag = compared.map { newest - Int((Double($0) / Double(decimation)).rounded()) }
                var comparedScore: Float?
                // Lag l is scratch start lags - 1 - l; a radius keeps the starts near the compared lag's.
                var starts = 0..<lags
                if let comparedLag, let searchRadius {
                    let radius = searchRadius / decimation + 1
                    let centre = lags - 1 - comparedLag
                    let lower = min(lags, max(0, centre - radius))
                    starts = lower..<min(lags, max(lower, centre + radius + 1))
                    if starts.isEmpty { starts = 0..<lags }
                    power = 0
                    for index in 0..<window { power += ref[starts.lowerBound + index] * ref[starts.lowerBound + index] }
                }
                for start in starts {
                    if start > starts.lowerBound {
                        let leaving = ref[start - 1]
                        let entering = ref[start + window - 1]
                        power = max(0, power - leaving * leaving + entering * entering)
                    }
                    guard power > 0 else { continue }
                    var dot: Float = 0
                    let window4 = window & ~3
                    var index = 0
                    var dot1: Float = 0, dot2: Float = 0, dot3: Float = 0
                    while index < window4 {
                        dot += mic[index] * ref[start + index]
                        dot1 += mic[index + 1] * ref[start + index + 1]
                        dot2 += mic[index + 2] * ref[start + index + 2]
                        dot3 += mic[index + 3] * ref[start + index + 3]
                        index += 4
                    }
                    while index < window {
                        dot += mic[index] * ref[start + index]
                        index += 1
                    }
                    dot += dot1 + dot2 + dot3
                    let score = dot / (power.squareRoot() * micPower.squareRoot())
                    if best == nil || score > best!.score { best = (lags - 1 - start, score, power) }
                    if lags - 1 - start == comparedLag { comparedScore = score }
                }
                guard let best, Double(best.score) >= minimumCorrelation,
                    Double(best.power) / Double(window) >= minimumPower
                else { return nil }
                return Estimate(
                    offset: (newest - best.lag) * decimation, lag: best.lag * decimation,
                    correlation: Double(best.score), correlationAtCompared: comparedScore.map(Double.init))
            }
        }
    }
}

/// One stream of `EchoDelayEstimator`: full-rate samples averaged over `decimation` (a box filter), the last
/// `capacity` averages kept in a ring, indexed by their position in the stream since the first sample.
private struct DecimatedHistory: Sendable {
    let decimation: Int
    /// Low-rate samples made so far.
    private(set) var count = 0
    private var ring: [Float]
    private var sum: Float = 0
    private var phase = 0

    init(decimation: Int, capacity: Int) {
        self.decimation = decimation
        ring = [Float](repeating: 0, count: capacity)
    }

    /// How many low-rate samples are kept.
    var capacity: Int { ring.count }

    mutating func append(_ samples: UnsafeBufferPointer<Float>) {
        for sample in samples {
            sum += sample
            phase += 1
            if phase == decimation {
                ring[count % ring.count] = sum / Float(decimation)
                count += 1
                sum = 0
                phase = 0
            }
        }
    }

    /// Low-rate sample `index` of the stream (one of the last `capacity`).
    subscript(index: Int) -> Float { ring[index % ring.count] }
}
