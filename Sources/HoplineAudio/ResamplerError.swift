internal import CSpeexDSP

/// Why a `Resampler` could not be created or could not run: an argument it refuses before calling
/// speexdsp, or the speexdsp function that failed with its error code.
public enum ResamplerError: Error, Equatable, CustomStringConvertible {
    /// A sample rate outside `Resampler.supportedRates`.
    case rateOutOfRange(rate: Int)
    /// A quality outside `Resampler.supportedQualities`.
    case qualityOutOfRange(quality: Int)
    /// The speexdsp function `function` returned the error code `code` (`RESAMPLER_ERR_*`).
    case speexFailed(function: String, code: Int32)
    /// `function` neither consumed input nor produced output while `pendingInput` samples were left, so
    /// calling it again would loop forever.
    case stalled(function: String, pendingInput: Int)

    public var description: String {
        switch self {
        case .rateOutOfRange(let rate):
            let range = Resampler.supportedRates
            return "resampler sample rate \(rate) Hz is out of range (expected \(range.lowerBound)...\(range.upperBound) Hz)"
        case .qualityOutOfRange(let quality):
            let range = Resampler.supportedQualities
            return "resampler quality \(quality) is out of range (expected \(range.lowerBound)...\(range.upperBound))"
        case .speexFailed(let function, let code):
            return "\(function) failed: \(String(cString: speex_resampler_strerror(code))) (code \(code))"
        case .stalled(let function, let pendingInput):
            return "\(function) made no progress with \(pendingInput) input samples left "
                + "(expected it to consume input or produce output)"
        }
    }
}
