internal import CSpeexDSP

#if canImport(Glibc)
internal import Glibc
#endif

/// A linear acoustic echo canceller: speexdsp's MDF adaptive filter, fed a far-end reference that is first
/// aligned with the microphone by a measured delay (`EchoDelayEstimator`).
///
/// The reference is kept as counted samples; microphone sample `m` is matched with reference sample
/// `m + offset`. The offset starts from the delay the device reports and is replaced by the cross-correlation
/// estimate once the far end has talked for half a second (tried every 0.25 s until then; checked every
/// second after that, so a device that slips is followed; a move of more than 2 ms starts the filter over). The filter is handed the reference `leadSamples` ahead of its echo (the filter
/// models an echo path that starts `leadSamples` late), so it covers what the
/// estimate leaves (its 1 ms grain, a changing delay) plus `filterSamples - leadSamples` of echo tail. A
/// linear filter subtracts the echo and leaves the near end alone, so double talk keeps the near-end speech.
/// An optional residual echo suppressor (speexdsp's preprocessor, `residualSuppressionDb`) takes off what is
/// left; off by default.
///
/// One thread at a time; allocates only in `init`. Owns the speexdsp states, freed in deinit.
final class EchoCanceller {
    let sampleRate: Int
    let frameSamples: Int
    let filterSamples: Int
    let leadSamples: Int
    /// Microphone sample `m` holds the echo of reference sample `m + offset` (nil before the first frame).
    private(set) var offset: Int?
    /// The last delay estimate: full-rate samples from a reference sample being rendered to its echo being
    /// processed.
    private(set) var measuredLag: Int?
    /// Times the alignment moved after the first estimate (and the filter started over).
    private(set) var realignments = 0
    /// Estimates taken (the first one included).
    private(set) var estimates = 0

    private let echo: OpaquePointer
    private let preprocess: OpaquePointer?
    private var estimator: EchoDelayEstimator
    private var history: [Float]
    private var rendered = 0
    private var captured = 0
    private var framesSinceEstimate = 0
    private var microphone: [Int16]
    private var reference: [Int16]
    private var output: [Int16]

    /// Estimates are tried every 0.25 s of capture until the first succeeds, then every second.
    private static let firstEstimateEverySeconds = 0.25
    private static let estimateEverySeconds = 1.0
    /// A new estimate moves the alignment only if it differs by more than this (ms): the estimate's grain is
    /// 0.5 ms at 48 kHz, and the filter's lead takes up small moves.
    private static let realignThresholdMs = 2.0
    /// Reference frames below this mean square (about -60 dBFS) are far-end silence (`cancel` returns false).
    private static let activeReferencePower = 1e-6

    /// `filterSeconds`: the adaptive filter's length; `leadSeconds`: how early the reference is handed over.
    init(
        sampleRate: Int, filterSeconds: Double = 0.1, leadSeconds: Double = 0.01, residualSuppressionDb: Int? = nil,
        maximumDelaySeconds: Double = 1
    ) throws(VoiceProcessingError) {
        self.sampleRate = sampleRate
        frameSamples = sampleRate / 100
        let filter = max(frameSamples, Int((filterSeconds * Double(sampleRate)).rounded() / Double(frameSamples)) * frameSamples)
        filterSamples = filter
        leadSamples = min(filter / 2, Int(leadSeconds * Double(sampleRate)))
        guard let echo = speex_echo_state_init(Int32(frameSamples), Int32(filter)) else {
            throw .echoCancellerFailed(sampleRate: sampleRate, step: "speex_echo_state_init")
        }
        self.echo = echo
        guard hopline_speex_echo_set_sampling_rate(echo, Int32(sampleRate)) == 0 else {
            speex_echo_state_destroy(echo)
            throw .echoCancellerFailed(sampleRate: sampleRate, step: "SPEEX_ECHO_SET_SAMPLING_RATE")
        }
        if let residualSuppressionDb {
            guard let state = speex_preprocess_state_init(Int32(frameSamples), Int32(sampleRate)) else {
                speex_echo_state_destroy(echo)
                throw .echoCancellerFailed(sampleRate: sampleRate, step: "speex_preprocess_state_init")
            }
            _ = hopline_speex_preprocess_set_denoise(state, 0)
            _ = hopline_speex_preprocess_set_agc(state, 0)
            _ = hopline_speex_preprocess_set_dereverb(state, 0)
            _ = hopline_speex_preprocess_set_echo_state(state, echo)
            _ = hopline_speex_preprocess_set_echo_suppress(
                state, Int32(residualSuppressionDb), Int32(residualSuppressionDb))
            preprocess = state
        } else {
            preprocess = nil
        }
        estimator = EchoDelayEstimator(sampleRate: sampleRate, windowSeconds: 0.5, maximumLagSeconds: maximumDelaySeconds)
        // Room for the longest lag searched, the filter, and a second of capture backlog.
        history = [Float](repeating: 0, count: Int(Double(sampleRate) * (maximumDelaySeconds + 1)) + filter)
        microphone = [Int16](repeating: 0, count: frameSamples)
        reference = [Int16](repeating: 0, count: frameSamples)
        output = [Int16](repeating: 0, count: frameSamples)
    }

    deinit {
        if let preprocess { speex_preprocess_state_destroy(preprocess) }
        speex_echo_state_destroy(echo)
    }

    /// The far end, exactly as it went to the speaker (any length).
    func render(_ samples: UnsafeBufferPointer<Float>) {
        estimator.addReference(samples)
        history.withUnsafeMutableBufferPointer { history in
            for sample in samples {
                history[rendered % history.count] = sample
                rendered += 1
            }
        }
    }

    /// One microphone frame (`frameSamples`), the echo taken out in place. `reportedDelaySamples`: the device's
    /// own idea of the echo path (rendered to processed), used until the first estimate.
    /// Returns whether the far end was talking in the reference paired with this frame.
    func cancel(_ frame: UnsafeMutableBufferPointer<Float>, reportedDelaySamples: Int) -> Bool {
        precondition(frame.count == frameSamples, "echo canceller frames are 10 ms")
        if offset == nil { offset = rendered - reportedDelaySamples - captured }
        estimator.addMicrophone(UnsafeBufferPointer(frame))
        framesSinceEstimate += 1
        let interval = estimates == 0 ? Self.firstEstimateEverySeconds : Self.estimateEverySeconds
        if Double(framesSinceEstimate) >= interval * 100 {
            framesSinceEstimate = 0
            realign()
        }
        // The filter must see each far-end sample before its echo: hand over the reference `leadSamples` after
        // the one the estimate pairs with this frame's first sample.
        let start = captured + offset! + leadSamples
        var referenceEnergy = 0.0
        for index in 0..<frameSamples {
            let position = start + index
            let value: Float =
                position < rendered && position >= 0 && position >= rendered - history.count
                ? history[position % history.count] : 0
            referenceEnergy += Double(value * value)
            reference[index] = Self.pcm(value)
            microphone[index] = Self.pcm(frame[index])
        }
        microphone.withUnsafeBufferPointer { mic in
            reference.withUnsafeBufferPointer { ref in
                output.withUnsafeMutableBufferPointer { out in
                    speex_echo_cancellation(echo, mic.baseAddress, ref.baseAddress, out.baseAddress)
                    if let preprocess { _ = speex_preprocess_run(preprocess, out.baseAddress) }
                }
            }
        }
        for index in 0..<frameSamples { frame[index] = Float(output[index]) / 32_768 }
        captured += frameSamples
        return referenceEnergy / Double(frameSamples) >= Self.activeReferencePower
    }

    private func realign() {
        guard let estimate = estimator.estimate() else { return }
        estimates += 1
        measuredLag = estimate.lag
        let threshold = Int(Self.realignThresholdMs * Double(sampleRate) / 1_000)
        guard let current = offset, abs(estimate.offset - current) > threshold else { return }
        if estimates > 1 { realignments += 1 }
        offset = estimate.offset
        speex_echo_state_reset(echo)
    }

    private static func pcm(_ value: Float) -> Int16 {
        Int16(max(-32_768, min(32_767, (value * 32_768).rounded())))
    }
}

@available(*, unavailable, message: "EchoCanceller owns mutable C state; use it from one thread at a time")
extension EchoCanceller: Sendable {}
