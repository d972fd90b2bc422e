/// How far the pipeline's output is from the bare codec's, sample by sample. Opus is deterministic, so on
/// a clean path with correct alignment the two should be identical.
struct OutputComparison: Sendable, Codable {
    /// The largest |pipeline - bare| over all samples (full scale is 1.0).
    var maximumDifference: Double
    /// Samples where the two differ at all.
    var differingSamples: Int

    init(bare: [Float], pipeline: [Float]) {
        precondition(bare.count == pipeline.count, "both outputs have the input's length")
        var maximum: Float = 0
        var differing = 0
        for index in bare.indices {
            let difference = abs(bare[index] - pipeline[index])
            if difference > 0 { differing += 1 }
            maximum = max(maximum, difference)
        }
        maximumDifference = Double(maximum)
        differingSamples = differing
    }
}
