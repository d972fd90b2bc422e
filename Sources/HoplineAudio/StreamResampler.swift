/// Resamples a clip of known length piece by piece, giving the same samples as `Resampler.resample` on the
/// whole clip: exactly `round(inputCount * outputRate / inputRate)` samples, aligned (no filter delay), the
/// tail flushed with zeros by `finish()`. Memory stays at one piece whatever the clip's length. Equal rates
/// pass samples through unchanged.
///
/// Not thread-safe: one thread.
public final class StreamResampler {
    /// Samples the whole clip gives at the output rate.
    public let outputCount: Int
    /// Samples returned so far.
    public private(set) var produced = 0
    private let resampler: Resampler?

    public init(inputRate: Int, outputRate: Int, inputCount: Int, quality: Int = 8) throws(ResamplerError) {
        outputCount = inputRate == outputRate ? inputCount : (inputCount * outputRate + inputRate / 2) / inputRate
        if inputRate == outputRate {
            resampler = nil
        } else {
            let resampler = try Resampler(fromRate: inputRate, toRate: outputRate, quality: quality)
            try resampler.skipZeros()
            self.resampler = resampler
        }
    }

    /// The output made possible by the next piece of input (never past `outputCount`).
    public func process(_ input: [Float]) throws(ResamplerError) -> [Float] {
        var output = try resampler?.process(input) ?? input
        trim(&output)
        return output
    }

    /// The rest of the output, up to `outputCount`: the filter's tail, flushed with zeros.
    public func finish() throws(ResamplerError) -> [Float] {
        guard let resampler else { return [] }
        var output: [Float] = []
        let zeros = [Float](repeating: 0, count: resampler.inputLatency + 1)
        // One round of zeros suffices; the bound only guards against a speexdsp that stops producing.
        for _ in 0..<8 where produced + output.count < outputCount {
            output += try resampler.process(zeros)
        }
        trim(&output)
        guard produced == outputCount else {
            throw .stalled(function: "speex_resampler_process_float", pendingInput: 0)
        }
        return output
    }

    private func trim(_ output: inout [Float]) {
        let room = outputCount - produced
        if output.count > room { output.removeSubrange(room...) }
        produced += output.count
    }
}
