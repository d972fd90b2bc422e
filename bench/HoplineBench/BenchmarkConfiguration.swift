import HoplineCodec

/// Everything one benchmark run needs: where the speech is and the outputs go, how many rounds, the codec
/// settings both sides use, the targets, and the PESQ scorer.
struct BenchmarkConfiguration: Sendable {
    var speechDirectory: String
    var outputDirectory: String
    /// Timed rounds of each side (bare codec, then pipeline, alternating which goes first).
    var rounds: Int
    /// The joined speech is repeated until it is at least this long, in seconds.
    var minimumSeconds: Double
    /// The settings both the bare codec and the pipeline encode with.
    var codec: OpusSettings
    /// The pipeline's jitter buffer target delay, in milliseconds.
    var jitterTargetMilliseconds: Double
    var scorer: PESQScorer
    var targets = BenchmarkTargets()
}

/// The targets: the pipeline at least 0.8x the bare codec's speed, and PESQ-WB equal within 0.05.
struct BenchmarkTargets: Sendable, Codable {
    /// Least pipeline real-time factor divided by the bare codec's (wall clock).
    var minimumSpeedRatio = 0.8
    /// Largest |PESQ-WB(pipeline) - PESQ-WB(bare codec)|, both against the original.
    var maximumPESQDifference = 0.05
}
