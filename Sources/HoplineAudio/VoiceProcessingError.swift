/// Why voice processing (speexdsp's echo canceller, WebRTC's audio processing module) could not be set up.
public enum VoiceProcessingError: Error, Equatable, CustomStringConvertible {
    /// `hopline_apm_create` failed with WebRTC's error code (-7: bad sample rate; -2: creation failed).
    case creationFailed(sampleRate: Int, code: Int32)
    /// speexdsp's echo canceller or its preprocessor refused: `step` names the call.
    case echoCancellerFailed(sampleRate: Int, step: String)
    /// Only 8, 16, 32 and 48 kHz are supported.
    case unsupportedSampleRate(Int)

    public var description: String {
        switch self {
        case .creationFailed(let rate, let code):
            return "cannot create WebRTC audio processing at \(rate) Hz (error \(code))"
        case .echoCancellerFailed(let rate, let step):
            return "cannot set up speexdsp's echo canceller at \(rate) Hz (\(step) failed)"
        case .unsupportedSampleRate(let rate):
            return "voice processing sample rate \(rate) Hz is not supported (expected 8000, 16000, 32000 or 48000)"
        }
    }
}
