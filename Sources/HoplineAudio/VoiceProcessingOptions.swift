/// Which voice processing components run on the microphone of a live call.
///
/// Echo cancellation needs the speaker's signal as its reference, so a call turns it on only when the
/// speaker and the microphone are both live (`--no-echo-cancel` turns it off); noise suppression and
/// automatic gain control work on the microphone alone and are off unless asked for.
public struct VoiceProcessingOptions: Sendable, Equatable {
    /// Acoustic echo cancellation (speexdsp's linear MDF filter, 20 ms, on a reference aligned by a measured
    /// echo delay; no residual echo suppression, so double talk keeps the near end).
    public var echoCancellation: Bool
    /// Noise suppression (WebRTC's moderate level).
    public var noiseSuppression: Bool
    /// Automatic gain control (adaptive digital: target -3 dBFS, up to 9 dB of gain, limiter).
    public var autoGain: Bool

    public init(echoCancellation: Bool = true, noiseSuppression: Bool = false, autoGain: Bool = false) {
        self.echoCancellation = echoCancellation
        self.noiseSuppression = noiseSuppression
        self.autoGain = autoGain
    }

    /// No processing at all.
    public static let none = VoiceProcessingOptions(echoCancellation: false)

    /// Whether any component is on.
    public var isActive: Bool { echoCancellation || noiseSuppression || autoGain }
}
