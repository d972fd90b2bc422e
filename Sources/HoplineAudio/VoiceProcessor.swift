internal import CHoplineAPM

#if canImport(Glibc)
internal import Glibc
#endif

/// Voice processing on the microphone of a live call, on mono float audio in 10 ms frames: acoustic echo
/// cancellation (speexdsp's linear MDF filter on a reference aligned by a measured delay, `EchoCanceller`),
/// then WebRTC's audio processing module (Debian's libwebrtc-audio-processing 0.3, through the CHoplineAPM C
/// shim) for its high-pass filter, noise suppression and automatic gain control.
///
/// The far end goes in with `analyzeRender` (exactly what the speaker played), the microphone with
/// `processCapture`, which cancels the echo of the far end in place; the caller says how long after its
/// render frame an echo reaches `processCapture` (`delayMilliseconds`, the device's own numbers), which the
/// canceller uses until it has measured the delay itself. Both must be called from one thread at a time,
/// never from a PortAudio callback (WebRTC allocates and locks). Owns the C state, freed in deinit.
///
/// WebRTC's own echo canceller (AEC, 0.3) was measured first: 59-71 dB ERLE, but its nonlinear suppressor,
/// which 0.3 cannot switch off, ducked the near end in double talk (PESQ-WB 1.2-1.6; README, "Live audio
/// devices").
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
    /// Far-end samples analysed.
    public private(set) var renderSamples = 0
    private let state: OpaquePointer
    private let canceller: EchoCanceller?
    private var echoMeter = EchoMeter()

    public init(
        options: VoiceProcessingOptions, sampleRate: Int = 48_000, echoCanceller tuning: EchoCancellerTuning? = nil
    ) throws(VoiceProcessingError) {
        let tuning = tuning ?? EchoCancellerTuning(filterSeconds: Double(options.echoTailMilliseconds) / 1_000)
        guard [8_000, 16_000, 32_000, 48_000].contains(sampleRate) else { throw .unsupportedSampleRate(sampleRate) }
        canceller = options.echoCancellation ? try EchoCanceller(
                sampleRate: sampleRate, filterSeconds: tuning.filterSeconds, leadSeconds: tuning.leadSeconds,
                residualSuppressionDb: tuning.residualSuppressionDb,
                residualSuppressionActiveDb: tuning.residualSuppressionActiveDb) : nil
        // WebRTC without its echo canceller: the high-pass filter, and noise suppression and gain control when
        // asked for. They run after the echo canceller, on what the far end will hear.
        var settings = HoplineAPMOptions(
            sample_rate: Int32(sampleRate), noise_suppression: options.noiseSuppression ? 1 : 0,
            auto_gain: options.autoGain ? 1 : 0, high_pass_filter: 1)
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

    /// The far end exactly as it was handed to the speaker (any length).
    public func analyzeRender(_ frame: UnsafeBufferPointer<Float>) {
        canceller?.render(frame)
        renderSamples += frame.count
    }

    /// The near end: one 10 ms microphone frame, processed in place. `delayMilliseconds`: from the moment the
    /// render frame holding the far-end audio was analysed to this call, for the echo of that audio.
    public func processCapture(_ frame: UnsafeMutableBufferPointer<Float>, delayMilliseconds: Int) {
        guard let base = frame.baseAddress else { return }
        captureFrames += 1
        var metered: Double?
        if let canceller {
            guard frame.count == canceller.frameSamples else {
                errors += 1
                return
            }
            let before = Self.meanSquare(frame)
            if canceller.cancel(frame, reportedDelaySamples: max(0, delayMilliseconds) * sampleRate / 1_000) {
                metered = before
            }
        }
        // Negative: a hard error (the frame is unchanged).
        if hopline_apm_process_capture(state, base, frame.count) < 0 {
            errors += 1
        }
        if let metered { echoMeter.add(microphone: metered, output: Self.meanSquare(frame)) }
    }

    /// The echo canceller's measurements, nil without echo cancellation or before the far end has talked for a
    /// second.
    public var echoMetrics: EchoMetrics? {
        guard let canceller, let erle = echoMeter.enhancementDb else { return nil }
        // The canceller's lag is from the newest reference to the newest microphone sample; reported per ms.
        return EchoMetrics(
            echoReturnLossEnhancementDb: erle,
            delayMilliseconds: canceller.measuredLag.map { Double($0) * 1_000 / Double(sampleRate) },
            realignments: canceller.realignments)
    }
}

extension VoiceProcessor {
    fileprivate static func meanSquare(_ frame: UnsafeMutableBufferPointer<Float>) -> Double {
        var sum = 0.0
        for sample in frame { sum += Double(sample * sample) }
        return sum / Double(max(1, frame.count))
    }
}

/// The echo return loss enhancement as the far end hears it: per frame in which the far end talks, the
/// microphone's power over the processed output's in dB (held within -10...90), averaged over about the last
/// second of such frames (a running mean until then). Averaging dB rather than powers keeps the first
/// unconverged second from masking what the canceller does now.
struct EchoMeter {
    private var decibels = 0.0
    private var frames = 0

    mutating func add(microphone: Double, output: Double) {
        guard microphone > 1e-10 else { return }  // the far end's echo is not in this frame
        let frame = min(90, max(-10, 10 * log10(microphone / max(output, 1e-12))))
        let weight = frames < 100 ? 1 / Double(frames + 1) : 1.0 / 100
        decibels += (frame - decibels) * weight
        frames += 1
    }

    /// nil until the far end has talked for a second.
    var enhancementDb: Double? { frames >= 100 ? decibels : nil }
}

@available(*, unavailable, message: "VoiceProcessor owns mutable C state; use it from one thread at a time")
extension VoiceProcessor: Sendable {}

/// The echo canceller's settings (the defaults are what measured best on the live path; README, "Live audio
/// devices").
public struct EchoCancellerTuning: Sendable, Equatable {
    /// The adaptive filter's length, s: the echo tail it can model plus the lead.
    public var filterSeconds: Double
    /// How early the aligned reference is handed to the filter, s: room for the delay estimate's grain and
    /// for a delay that moves a little.
    public var leadSeconds: Double
    /// speexdsp's residual echo suppression after the linear filter: the most it attenuates what is left of
    /// the echo, dB (negative; nil: no suppressor), and the most while the near end talks.
    public var residualSuppressionDb: Int?
    public var residualSuppressionActiveDb: Int

    public init(
        filterSeconds: Double = 0.01, leadSeconds: Double = 0.0025, residualSuppressionDb: Int? = -40,
        residualSuppressionActiveDb: Int = -15
    ) {
        self.filterSeconds = filterSeconds
        self.leadSeconds = leadSeconds
        self.residualSuppressionDb = residualSuppressionDb
        self.residualSuppressionActiveDb = residualSuppressionActiveDb
    }
}

/// The echo canceller's view of the echo path (its own measurements).
public struct EchoMetrics: Sendable, Equatable {
    /// ERLE: the microphone's power over what leaves the processor while the far end talks, dB (each frame's,
    /// averaged over about the last second; near-end speech in that time lowers it, and `--auto-gain`'s gain is
    /// part of it).
    public var echoReturnLossEnhancementDb: Double
    /// The echo path delay measured by cross-correlation: from a far-end sample being handed to the speaker to
    /// its echo being processed, ms (nil until measured).
    public var delayMilliseconds: Double?
    /// Times the measured delay moved by more than 2 ms after the first measure (the filter started over).
    public var realignments: Int
}
