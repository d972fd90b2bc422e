internal import CHoplineAPM

/// WebRTC's audio processing module (Debian's libwebrtc-audio-processing 0.3, through the CHoplineAPM C
/// shim): acoustic echo cancellation, noise suppression and automatic gain control on mono float audio in
/// 10 ms frames.
///
/// The far end goes in with `analyzeRender` (exactly what is handed to the speaker), the microphone with
/// `processCapture`, which cancels the echo of the far end in place; the caller says how long after its
/// render frame an echo reaches `processCapture` (`delayMilliseconds`). Both must be called from one thread
/// at a time, never from a PortAudio callback (WebRTC allocates and locks). Owns the C state, freed in deinit.
public final class VoiceProcessor {
    /// The options it was created with.
    public let options: VoiceProcessingOptions
    /// Samples per second.
    public let sampleRate: Int
    /// Samples in one 10 ms frame: every call takes exactly this many.
    public let frameSamples: Int
    /// Calls WebRTC refused (wrong length, internal error); the frame went through unprocessed.
    public private(set) var errors = 0
    /// Capture frames processed.
    public private(set) var captureFrames = 0
    /// Render frames analysed.
    public private(set) var renderFrames = 0
    private let state: OpaquePointer

    public init(options: VoiceProcessingOptions, sampleRate: Int = 48_000) throws(VoiceProcessingError) {
        guard [8_000, 16_000, 32_000, 48_000].contains(sampleRate) else { throw .unsupportedSampleRate(sampleRate) }
        // Low residual echo suppression with the extended filter and WebRTC's own delay estimate: the best near
        // end in double talk of the settings measured (README, "Live audio devices"), at an ERLE of 60 dB.
        var settings = HoplineAPMOptions(
            sample_rate: Int32(sampleRate), echo_cancellation: options.echoCancellation ? 1 : 0,
            suppression_level: 0, extended_filter: 1, delay_agnostic: 1, noise_suppression: options.noiseSuppression ? 1 : 0, auto_gain: options.autoGain ? 1 : 0,
            high_pass_filter: 1)
        var code: Int32 = 0
        guard let state = hopline_apm_create(&settings, &code) else {
            throw .creationFailed(sampleRate: sampleRate, code: code)
        }
        self.state = state
        self.options = options
        self.sampleRate = sampleRate
        frameSamples = sampleRate / 100
    }

    deinit {
        hopline_apm_destroy(state)
    }

    /// The far end: one 10 ms frame exactly as it was handed to the speaker.
    public func analyzeRender(_ frame: UnsafeBufferPointer<Float>) {
        guard let base = frame.baseAddress else { return }
        if hopline_apm_analyze_render(state, base, frame.count) != 0 { errors += 1 }
        renderFrames += 1
    }

    /// The near end: one 10 ms microphone frame, processed in place. `delayMilliseconds`: from the moment the
    /// render frame holding the far-end audio was analysed to this call, for the echo of that audio.
    public func processCapture(_ frame: UnsafeMutableBufferPointer<Float>, delayMilliseconds: Int) {
        guard let base = frame.baseAddress else { return }
        // Negative: a hard error (the frame is unchanged); positive: a warning about the delay, still processed.
        if hopline_apm_process_capture(state, base, frame.count, Int32(clamping: max(0, delayMilliseconds))) < 0 {
            errors += 1
        }
        captureFrames += 1
    }

    /// WebRTC's own echo estimates (long-term averages), nil without echo cancellation or before any.
    public var echoMetrics: EchoMetrics? {
        var metrics = HoplineAPMMetrics()
        guard hopline_apm_metrics(state, &metrics) == 0, metrics.valid != 0 else { return nil }
        return EchoMetrics(
            echoReturnLossDb: Int(metrics.echo_return_loss),
            echoReturnLossEnhancementDb: Int(metrics.echo_return_loss_enhancement),
            delayMedianMilliseconds: metrics.delay_median_ms >= 0 ? Int(metrics.delay_median_ms) : nil)
    }
}

@available(*, unavailable, message: "VoiceProcessor owns mutable C state; use it from one thread at a time")
extension VoiceProcessor: Sendable {}

/// WebRTC's echo canceller's view of the echo path, dB (its long-term averages).
public struct EchoMetrics: Sendable, Equatable {
    /// ERL: the far end's power over the echo's power at the microphone.
    public var echoReturnLossDb: Int
    /// ERLE: the echo's power at the microphone over what is left after cancellation.
    public var echoReturnLossEnhancementDb: Int
    /// The echo path delay the canceller found, ms.
    public var delayMedianMilliseconds: Int?
}
