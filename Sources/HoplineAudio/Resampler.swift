internal import CSpeexDSP

/// Converts mono `Float` audio from one sample rate to another with the speexdsp resampler, either as a
/// stream (`process`, which keeps filter history between calls and so delays its output by
/// `outputLatency` samples) or a whole clip at once (`resample`, length-exact and time-aligned).
///
/// Owns one `SpeexResamplerState`, freed in `deinit`. Not thread-safe and not `Sendable`: use an instance
/// from one task at a time. `process` allocates its result, so it must not run inside a real-time audio
/// callback; call it from the thread that feeds the ring buffer.
public final class Resampler {
    /// The sample rates accepted, in Hz.
    public static let supportedRates: ClosedRange<Int> = 1_000...768_000
    /// speexdsp's quality scale: 0 is cheapest, 10 best; 3 is its "VoIP" setting, 8 a good offline one.
    public static let supportedQualities: ClosedRange<Int> = 0...10

    /// The rate `process` expects, in Hz.
    public let inputRate: Int
    /// The rate `process` produces, in Hz.
    public let outputRate: Int
    /// The speexdsp quality, 0...10.
    public let quality: Int
    private let state: OpaquePointer

    /// A resampler for one mono stream from `fromRate` to `toRate` Hz.
    public init(fromRate: Int, toRate: Int, quality: Int) throws(ResamplerError) {
        for rate in [fromRate, toRate] where !Self.supportedRates.contains(rate) {
            throw .rateOutOfRange(rate: rate)
        }
        guard Self.supportedQualities.contains(quality) else { throw .qualityOutOfRange(quality: quality) }
        var code: Int32 = 0
        let state = speex_resampler_init(1, UInt32(fromRate), UInt32(toRate), Int32(quality), &code)
        guard let state, code == RESAMPLER_ERR_SUCCESS else {
            if let state { speex_resampler_destroy(state) }
            let failure = code == RESAMPLER_ERR_SUCCESS ? Int32(RESAMPLER_ERR_ALLOC_FAILED) : code
            throw .speexFailed(function: "speex_resampler_init", code: failure)
        }
        self.state = state
        inputRate = fromRate
        outputRate = toRate
        self.quality = quality
    }

    deinit {
        speex_resampler_destroy(state)
    }

    /// How far the output lags the input, in input samples (half the filter length).
    public var inputLatency: Int { Int(speex_resampler_get_input_latency(state)) }

    /// How far the output lags the input, in output samples (rounded).
    public var outputLatency: Int { Int(speex_resampler_get_output_latency(state)) }

    /// Resamples the next piece of a stream. Consumes all of `input` and returns the output it made
    /// possible: over a stream, `input.count * outputRate / inputRate` samples give or take one. The output
    /// lags the input by `outputLatency` samples; a new stream starts with that much filter ramp from silence.
    public func process(_ input: [Float]) throws(ResamplerError) -> [Float] {
        guard !input.isEmpty else { return [] }
        // Room for the expected output plus slack; grown below if speexdsp ever wants more.
        var output = [Float](repeating: 0, count: input.count * outputRate / inputRate + 16)
        var consumed = 0
        var produced = 0
        while consumed < input.count {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: max(64, output.count / 2)))
            }
            // In: how many samples are offered / room there is. Out: how many were consumed / written.
            var inLength = UInt32(clamping: input.count - consumed)
            var outLength = UInt32(clamping: output.count - produced)
            try call("speex_resampler_process_float") { state in
                input.withUnsafeBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { destination in
                        speex_resampler_process_float(
                            state, 0, source.baseAddress! + consumed, &inLength,
                            destination.baseAddress! + produced, &outLength)
                    }
                }
            }
            guard inLength > 0 || outLength > 0 else {
                throw .stalled(function: "speex_resampler_process_float", pendingInput: input.count - consumed)
            }
            consumed += Int(inLength)
            produced += Int(outLength)
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Drops the filter's delay from the start of the output (`speex_resampler_skip_zeros`): call before the
    /// first `process`, as `resample` does, so output sample `j` sits at input time `j * inputRate / outputRate`.
    public func skipZeros() throws(ResamplerError) {
        try call("speex_resampler_skip_zeros") { speex_resampler_skip_zeros($0) }
    }

    /// Resamples a whole clip to `rate`: exactly `round(n * rate / audio.sampleRate)` samples, with output
    /// sample `j` at input time `j * audio.sampleRate / rate` (no filter delay). Returns `audio` unchanged
    /// when the rates are equal.
    ///
    /// Alignment uses `speex_resampler_skip_zeros`, which drops exactly `inputLatency` input samples' worth
    /// of delay inside speexdsp, rather than dropping `outputLatency` output samples, which speexdsp rounds
    /// to whole output samples; zeros are then fed at the end until the filter has emitted every sample.
    public static func resample(_ audio: PCMAudio, to rate: Int, quality: Int = 8) throws(ResamplerError) -> PCMAudio {
        guard audio.sampleRate != rate else { return audio }
        let resampler = try Resampler(fromRate: audio.sampleRate, toRate: rate, quality: quality)
        let count = (audio.samples.count * rate + audio.sampleRate / 2) / audio.sampleRate
        guard count > 0 else { return PCMAudio(sampleRate: rate, samples: []) }

        try resampler.call("speex_resampler_skip_zeros") { speex_resampler_skip_zeros($0) }
        var samples = try resampler.process(audio.samples)
        // The last outputs need `inputLatency` samples beyond the end of the input; one round of that
        // many zeros (plus one) suffices, the bound only guards against a speexdsp that stops producing.
        let zeros = [Float](repeating: 0, count: resampler.inputLatency + 1)
        for _ in 0..<8 where samples.count < count {
            samples += try resampler.process(zeros)
        }
        guard samples.count >= count else {
            throw .stalled(function: "speex_resampler_process_float", pendingInput: 0)
        }
        samples.removeSubrange(count...)
        return PCMAudio(sampleRate: rate, samples: samples)
    }

    /// The one place a speexdsp function that returns an error code is called on `state`: runs `body`
    /// and turns any code other than `RESAMPLER_ERR_SUCCESS` into `ResamplerError.speexFailed` naming
    /// `function`.
    private func call(_ function: String, _ body: (OpaquePointer) -> Int32) throws(ResamplerError) {
        let code = body(state)
        guard code == RESAMPLER_ERR_SUCCESS else { throw .speexFailed(function: function, code: code) }
    }
}

@available(*, unavailable, message: "Resampler owns mutable C state; use it from one task at a time")
extension Resampler: Sendable {}
