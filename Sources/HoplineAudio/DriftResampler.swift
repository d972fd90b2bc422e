internal import CSpeexDSP

/// Stretches a mono stream by a ratio within a few parts per thousand of 1 (a sound card's clock against the
/// node's), with speexdsp's resampler at a fractional rate (`speex_resampler_set_rate_frac`), changeable
/// between calls without a glitch.
///
/// `process` writes into the caller's buffer and never allocates: the streaming form for a call's audio
/// path. Owns one `SpeexResamplerState`, freed in deinit; use from one thread at a time (not the PortAudio
/// callback: changing the ratio recomputes the filter).
public final class DriftResampler {
    /// The ratio's resolution: output/input is set as `(scale + ppm * scale / 1e6) / scale` (0.01 ppm).
    private static let scale: UInt32 = 100_000_000
    /// The largest correction accepted, ppm (larger asks are clamped).
    public static let maximumPPM = 5_000.0
    /// The nominal rate of both sides, Hz.
    public let rate: Int
    /// The output/input stretch now, ppm (positive: more samples out than in).
    public private(set) var ppm = 0.0
    private let state: OpaquePointer

    /// A resampler at ratio 1 for a `rate` Hz stream; `quality` is speexdsp's 0...10 (5: its desktop setting).
    public init(rate: Int, quality: Int = 5) throws(ResamplerError) {
        guard Resampler.supportedRates.contains(rate) else { throw .rateOutOfRange(rate: rate) }
        guard Resampler.supportedQualities.contains(quality) else { throw .qualityOutOfRange(quality: quality) }
        var code: Int32 = 0
        guard let state = speex_resampler_init_frac(
            1, Self.scale, Self.scale, UInt32(rate), UInt32(rate), Int32(quality), &code), code == RESAMPLER_ERR_SUCCESS
        else {
            throw .speexFailed(function: "speex_resampler_init_frac", code: code == 0 ? Int32(RESAMPLER_ERR_ALLOC_FAILED) : code)
        }
        self.state = state
        self.rate = rate
        // Start at the output end of the filter: no ramp of zeros ahead of the first samples.
        speex_resampler_skip_zeros(state)
    }

    deinit {
        speex_resampler_destroy(state)
    }

    /// Sets the stretch: `ppm` more (positive) or fewer output samples than input, per million, clamped to
    /// +-`maximumPPM`. Cheap when unchanged; otherwise speexdsp recomputes its filter table.
    public func setPPM(_ ppm: Double) {
        let clamped = min(Self.maximumPPM, max(-Self.maximumPPM, ppm.isFinite ? ppm : 0))
        let output = UInt32(Double(Self.scale) * (1 + clamped / 1e6))
        let applied = (Double(output) / Double(Self.scale) - 1) * 1e6
        guard applied != self.ppm else { return }
        // ratio_num/ratio_den is input/output.
        _ = speex_resampler_set_rate_frac(state, Self.scale, output, UInt32(rate), UInt32(rate))
        self.ppm = applied
    }

    /// How far the output lags the input, in samples.
    public var latency: Int { Int(speex_resampler_get_output_latency(state)) }

    /// Consumes all of `input` (as long as `output` has room: `input.count` plus 1 % plus 8 always suffices)
    /// and writes the result to the front of `output`; returns how many samples it wrote.
    public func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let source = input.baseAddress, let destination = output.baseAddress, !input.isEmpty else { return 0 }
        var consumed = 0, produced = 0
        while consumed < input.count && produced < output.count {
            var inLength = UInt32(input.count - consumed), outLength = UInt32(output.count - produced)
            _ = speex_resampler_process_float(state, 0, source + consumed, &inLength, destination + produced, &outLength)
            if inLength == 0 && outLength == 0 { break }
            consumed += Int(inLength)
            produced += Int(outLength)
        }
        return produced
    }
}

@available(*, unavailable, message: "DriftResampler owns mutable C state; use it from one thread at a time")
extension DriftResampler: Sendable {}
