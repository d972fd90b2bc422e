internal import CSpeexDSP

/// Stretches a mono stream by a ratio within a few parts per thousand of 1 (a sound card's clock against the
/// node's), with speexdsp's resampler at a fractional rate (`speex_resampler_set_rate_frac`).
///
/// speexdsp 1.2.1 rescales its phase by `phase * new_den / old_den` in 32 bits and, on overflow, keeps the new
/// ratio without applying it (measured: a change from 300 to 340 ppm with a denominator of 10^7 was
/// silently ignored; a changing denominator crashed). So the denominator stays one prime below 2^16 (65521)
/// and the numerator alternates between the two integers around the exact value, sigma-delta fashion,
/// decided once per 100 ms of input: the average ratio is exact (measured within 0.1 ppm over an hour) and
/// the filter is recomputed at most 10 times a second (about 80 us each). Ratio 1 itself (which speexdsp
/// reduces to 1/1, another filter mode) is never used; 65520/65521 and 65522/65521 alternate instead.
///
/// `process` writes into the caller's buffer and never allocates: the streaming form for a call's audio
/// path. Owns one `SpeexResamplerState`, freed in deinit; use from one thread at a time (not the PortAudio
/// callback: changing the ratio recomputes the filter).
public final class DriftResampler {
    private static let denominator: UInt32 = 65_521
    /// The largest correction accepted, ppm (larger asks are clamped).
    public static let maximumPPM = 5_000.0
    /// The nominal rate of both sides, Hz.
    public let rate: Int
    /// The output/input stretch asked for, ppm (positive: more samples out than in), averaged over blocks.
    public private(set) var ppm = 0.0
    private let state: OpaquePointer
    private var numerator: UInt32 = 0
    private var dither = 0.0
    private var sinceDecision = Int.max
    private let block: Int

    /// A resampler at ratio 1 for a `rate` Hz stream; `quality` is speexdsp's 0...10 (5: its desktop setting).
    public init(rate: Int, quality: Int = 5) throws(ResamplerError) {
        guard Resampler.supportedRates.contains(rate) else { throw .rateOutOfRange(rate: rate) }
        guard Resampler.supportedQualities.contains(quality) else { throw .qualityOutOfRange(quality: quality) }
        var code: Int32 = 0
        let den = Self.denominator
        guard let state = speex_resampler_init_frac(
            1, den - 1, den, UInt32(rate), UInt32(rate), Int32(quality), &code), code == RESAMPLER_ERR_SUCCESS
        else {
            throw .speexFailed(function: "speex_resampler_init_frac", code: code == 0 ? Int32(RESAMPLER_ERR_ALLOC_FAILED) : code)
        }
        self.state = state
        self.rate = rate
        numerator = den - 1
        block = rate / 10
        // Start at the output end of the filter: no ramp of zeros ahead of the first samples.
        speex_resampler_skip_zeros(state)
    }

    deinit {
        speex_resampler_destroy(state)
    }

    /// Sets the stretch: `ppm` more (positive) or fewer output samples than input, per million, clamped to
    /// +-`maximumPPM`; it takes effect at the next 100 ms block.
    public func setPPM(_ ppm: Double) {
        self.ppm = min(Self.maximumPPM, max(-Self.maximumPPM, ppm.isFinite ? ppm : 0))
    }

    /// How far the output lags the input, in samples.
    public var latency: Int { Int(speex_resampler_get_output_latency(state)) }

    /// Consumes all of `input` (as long as `output` has room: `input.count` plus 1 % plus 8 always suffices)
    /// and writes the result to the front of `output`; returns how many samples it wrote.
    public func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let source = input.baseAddress, let destination = output.baseAddress, !input.isEmpty else { return 0 }
        if sinceDecision >= block { decide() }
        sinceDecision += input.count
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

    /// Picks this block's numerator: the lower or upper neighbour of the exact one, so that their average
    /// over blocks is exact (speexdsp's ratio is input/output = numerator/denominator).
    private func decide() {
        sinceDecision = 0
        let den = Self.denominator
        let exact = Double(den) / (1 + ppm / 1e6)
        var low = UInt32(exact.rounded(.down)), high = low + 1
        if low == den { low = den - 1 }
        if high == den { high = den + 1 }
        dither += (exact - Double(low)) / Double(high - low)
        var chosen = low
        if dither >= 1 {
            dither -= 1
            chosen = high
        }
        guard chosen != numerator else { return }
        numerator = chosen
        _ = speex_resampler_set_rate_frac(state, chosen, den, UInt32(rate), UInt32(rate))
    }
}

@available(*, unavailable, message: "DriftResampler owns mutable C state; use it from one thread at a time")
extension DriftResampler: Sendable {}
