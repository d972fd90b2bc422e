internal import CSpeexDSP

#if canImport(Glibc)
internal import Glibc
#endif

/// An acoustic echo canceller: speexdsp's MDF adaptive filter, fed a far-end reference aligned with the
/// microphone by a measured delay (`EchoDelayEstimator`), then speexdsp's residual echo suppressor.
///
/// - **Alignment.** The reference is kept as counted samples; microphone sample `m` is matched with reference
///   sample `m + offset`. The offset starts from the delay the device reports and is replaced by the
///   cross-correlation estimate once the far end has talked for half a second (tried every 0.25 s until then).
///   It is checked every 0.1 s after that (within 50 ms of the current offset, the whole range every tenth
///   time), so a device or sound server that drops or adds samples is followed: a move of more than 1 ms must
///   correlate 0.2 better than the current offset twice in a row (near-end speech in double talk can lift a
///   lag a pitch period away just above the true one); the new offset is refined to the sample at full rate,
///   and the filter is kept, since only the timing moved.
/// - **Linear filter.** It is handed the reference `leadSamples` ahead of its echo (it models an echo path
///   that starts `leadSamples` late), so it covers what the estimate leaves plus `filterSamples -
///   leadSamples` of echo tail. Subtracting the echo leaves the near end alone, so double talk keeps it.
/// - **Residual suppression.** speexdsp's preprocessor, fed the filter's own estimate of what it left, takes
///   off up to `residualSuppressionDb` (up to `residualSuppressionActiveDb` while the near end talks).
///
/// One thread at a time; allocates only in `init`. Owns the speexdsp states, freed in deinit.
final class EchoCanceller {
    let sampleRate: Int
    let frameSamples: Int
    /// speexdsp's block: 5 ms (two per 10 ms frame), which adapts faster than 10 ms blocks (measured).
    let blockSamples: Int
    let filterSamples: Int
    let leadSamples: Int
    /// Microphone sample `m` holds the echo of reference sample `m + offset` (nil before the first frame).
    private(set) var offset: Int?
    /// The last delay estimate: full-rate samples from a reference sample being rendered to its echo being
    /// processed.
    private(set) var measuredLag: Int?
    /// Times the alignment moved after the first lock (the filter kept: only the reference shifts).
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
    /// Whether an estimate has set the offset; a candidate offset seen once, waiting for confirmation.
    private var locked = false
    private var pending: Int?
    private var trackingEstimates = 0
    /// The last quarter second of microphone, for refining an estimate to the sample.
    private var recent: [Float]
    private var microphone: [Int16]
    private var reference: [Int16]
    private var output: [Int16]

    /// Estimates are tried every 0.25 s of capture until the first succeeds, then every 0.1 s (a loaded sound
    /// server was measured to move the echo by 4-6 ms every few seconds; each move costs the cancellation until
    /// it is followed).
    private static let firstEstimateEverySeconds = 0.25
    private static let estimateEverySeconds = 0.1
    /// Once locked, a new offset must correlate this much better than the current one (and twice in a row).
    private static let realignMargin = 0.2
    /// Reference frames below this mean square (about -60 dBFS) are far-end silence (`cancel` returns false).
    private static let activeReferencePower = 1e-6

    /// `filterSeconds`: the adaptive filter's length; `leadSeconds`: how early the reference is handed over.
    init(
        sampleRate: Int, filterSeconds: Double = 0.01, leadSeconds: Double = 0.0025, residualSuppressionDb: Int? = -40,
        residualSuppressionActiveDb: Int = -15,
        maximumDelaySeconds: Double = 1
    ) throws(VoiceProcessingError) {
        self.sampleRate = sampleRate
        frameSamples = sampleRate / 100
        blockSamples = frameSamples / 2
        let blocks = Int((filterSeconds * Double(sampleRate) / Double(blockSamples)).rounded())
        let filter = max(2, blocks) * blockSamples
        filterSamples = filter
        leadSamples = min(filter / 2, Int(leadSeconds * Double(sampleRate)))
        guard let echo = speex_echo_state_init(Int32(blockSamples), Int32(filter)) else {
            throw .echoCancellerFailed(sampleRate: sampleRate, step: "speex_echo_state_init")
        }
        self.echo = echo
        guard hopline_speex_echo_set_sampling_rate(echo, Int32(sampleRate)) == 0 else {
            speex_echo_state_destroy(echo)
            throw .echoCancellerFailed(sampleRate: sampleRate, step: "SPEEX_ECHO_SET_SAMPLING_RATE")
        }
        if let residualSuppressionDb {
            guard let state = speex_preprocess_state_init(Int32(blockSamples), Int32(sampleRate)) else {
                speex_echo_state_destroy(echo)
                throw .echoCancellerFailed(sampleRate: sampleRate, step: "speex_preprocess_state_init")
            }
            // The residual echo suppressor works through the denoiser's gain: on, but attenuating noise by 1 dB.
            _ = hopline_speex_preprocess_set_denoise(state, 1)
            _ = hopline_speex_preprocess_set_noise_suppress(state, -1)
            _ = hopline_speex_preprocess_set_agc(state, 0)
            _ = hopline_speex_preprocess_set_dereverb(state, 0)
            _ = hopline_speex_preprocess_set_echo_state(state, echo)
            _ = hopline_speex_preprocess_set_echo_suppress(
                state, Int32(residualSuppressionDb), Int32(residualSuppressionActiveDb))
            preprocess = state
        } else {
            preprocess = nil
        }
        estimator = EchoDelayEstimator(sampleRate: sampleRate, windowSeconds: 0.25, maximumLagSeconds: maximumDelaySeconds)
        // Room for the longest lag searched, the filter, and a second of capture backlog.
        history = [Float](repeating: 0, count: Int(Double(sampleRate) * (maximumDelaySeconds + 1)) + filter)
        microphone = [Int16](repeating: 0, count: frameSamples)
        recent = [Float](repeating: 0, count: sampleRate / 4)
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
        for index in 0..<frameSamples { recent[(captured + index) % recent.count] = frame[index] }
        framesSinceEstimate += 1
        let interval = locked ? Self.estimateEverySeconds : Self.firstEstimateEverySeconds
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
                    for block in stride(from: 0, to: frameSamples, by: blockSamples) {
                        speex_echo_cancellation(
                            echo, mic.baseAddress! + block, ref.baseAddress! + block, out.baseAddress! + block)
                        if let preprocess { _ = speex_preprocess_run(preprocess, out.baseAddress! + block) }
                    }
                }
            }
        }
        for index in 0..<frameSamples { frame[index] = Float(output[index]) / 32_768 }
        captured += frameSamples
        return referenceEnergy / Double(frameSamples) >= Self.activeReferencePower
    }

    private func realign() {
        // Locked, most estimates only track the echo within 50 ms of where it is; every tenth searches it all.
        trackingEstimates += 1
        let radius = locked && trackingEstimates % 10 != 0 ? sampleRate / 20 : nil
        guard let estimate = estimator.estimate(comparedWith: offset, searchRadius: radius) else { return }
        estimates += 1
        let threshold = 2 * estimator.decimation
        guard let current = offset, abs(estimate.offset - current) > threshold else {
            measuredLag = estimate.lag
            pending = nil
            locked = true
            return
        }
        if locked {
            // Locked: move only for a clearly better match, seen twice in a row. During double talk the near
            // end's speech can lift a neighbouring lag (a pitch period away) just above the true one.
            let atCurrent = estimate.correlationAtCompared ?? 0
            guard estimate.correlation >= atCurrent + Self.realignMargin else {
                pending = nil
                return
            }
            guard let previous = pending, abs(previous - estimate.offset) <= threshold else {
                pending = estimate.offset
                return
            }
        }
        pending = nil
        let refined = refine(estimate.offset)
        measuredLag = estimate.lag + (estimate.offset - refined)
        offset = refined
        if locked {
            // The echo path only moved in time (a device or sound server that dropped or added samples): the
            // filter, which models the path relative to the aligned reference, stays valid.
            realignments += 1
        } else {
            locked = true
            speex_echo_state_reset(echo)
        }
    }

    /// The offset to the sample: full-rate correlation of the last `recent` microphone samples with the
    /// reference around the coarse estimate (plus or minus two low-rate samples).
    private func refine(_ coarse: Int) -> Int {
        let span = min(captured, recent.count)
        guard span > 0 else { return coarse }
        let first = captured - span
        var best = (offset: coarse, score: -Double.infinity)
        let reach = 2 * estimator.decimation
        for candidate in (coarse - reach)...(coarse + reach) {
            guard first + candidate >= max(0, rendered - history.count), captured - 1 + candidate < rendered else { continue }
            var dot = 0.0
            var power = 0.0
            for index in first..<captured {
                let r = Double(history[(index + candidate) % history.count])
                dot += Double(recent[index % recent.count]) * r
                power += r * r
            }
            guard power > 0 else { continue }
            let score = dot / power.squareRoot()
            if score > best.score { best = (candidate, score) }
        }
        return best.offset
    }

    private static func pcm(_ value: Float) -> Int16 {
        Int16(max(-32_768, min(32_767, (value * 32_768).rounded())))
    }
}

@available(*, unavailable, message: "EchoCanceller owns mutable C state; use it from one thread at a time")
extension EchoCanceller: Sendable {}
