/// Why WebRTC's audio processing module could not be set up.
public enum VoiceProcessingError: Error, Equatable, CustomStringConvertible {
    /// `hopline_apm_create` failed with WebRTC's error code (-7: bad sample rate; -2: creation failed).
    case creationFailed(sampleRate: Int, code: Int32)
    /// Only 8, 16, 32 and 48 kHz are supported.
    case unsupportedSampleRate(Int)

    public var description: String {
        switch self {
        case .creationFailed(let rate, let code):
            return "cannot create WebRTC audio processing at \(rate) Hz (error \(code))"
        case .unsupportedSampleRate(let rate):
            return "voice processing sample rate \(rate) Hz is not supported (expected 8000, 16000, 32000 or 48000)"
        }
    }
}
