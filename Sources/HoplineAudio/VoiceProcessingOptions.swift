/// Which voice processing components run on the microphone of a live call.
///
/// Echo cancellation needs the speaker's signal as its reference, so a call turns it on only when the
/// speaker and the microphone are both live (`--no-echo-cancel` turns it off); noise suppression and
/// automatic gain control work on the microphone alone and are off unless asked for.
public struct VoiceProcessingOptions: Sendable, Equatable {
    /// Acoustic echo cancellation (speexdsp's linear MDF filter on a reference aligned by a measured echo
    /// delay, then speexdsp's residual echo suppressor: -40 dB, -15 dB while the near end talks).
    public var echoCancellation: Bool
    /// The echo tail the linear filter models after the measured delay, ms (`[audio] echo_tail_ms`,
    /// `--echo-tail-ms`). 10 ms measured best on a direct echo path (README, "Live audio devices"); a room's
    /// reverberation is longer, and what the filter does not model is left to the residual suppressor.
    public var echoTailMilliseconds: Int
    /// The range `echoTailMilliseconds` accepts.
    public static let echoTailRange = 5...500
    /// Noise suppression (WebRTC's moderate level).
    public var noiseSuppression: Bool
    /// Automatic gain control (adaptive digital: target -3 dBFS, up to 9 dB of gain, limiter).
    public var autoGain: Bool

    public init(
        echoCancellation: Bool = true, noiseSuppression: Bool = false, autoGain: Bool = false, echoTailMilliseconds: Int = 10
    ) {
        precondition(Self.echoTailRange.contains(echoTailMilliseconds), "echo tail out of range")
        self.echoCancellation = echoCancellation
        self.echoTailMilliseconds = echoTailMilliseconds
        self.noiseSuppression = noiseSuppression
        self.autoGain = autoGain
    }

    /// No processing at all.
    public static let none = VoiceProcessingOptions(echoCancellation: false)

    /// Whether any component is on.
    public var isActive: Bool { echoCancellation || noiseSuppression || autoGain }
}
