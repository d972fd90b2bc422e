internal import CPortAudio

/// Why PortAudio could not list devices or open, start or stop a stream. Each case's description is one
/// line naming the problem, the value given and what was expected or available.
public enum AudioDeviceError: Error, Equatable, CustomStringConvertible {
    /// A PortAudio function failed; `code` is its `PaError`.
    case portAudio(function: String, code: Int32)
    /// PortAudio sees no device at all: no sound card and no sound server.
    case noDevices
    /// `selector` names no device of `direction`; `available` lists those there are ("index: name").
    case noMatchingDevice(direction: AudioDirection, selector: AudioDeviceSelector, available: [String])
    /// A name matches several devices of `direction` and none exactly; `matches` lists them.
    case ambiguousDevice(direction: AudioDirection, name: String, matches: [String])
    /// The device cannot run the stream format Hopline needs (`PaError` `code` from `Pa_IsFormatSupported`).
    case formatNotSupported(direction: AudioDirection, device: String, channels: Int, sampleRate: Int, code: Int32)
    /// A `LiveAudioConfiguration` field `name` holds `value`, outside `expected`.
    case settingOutOfRange(name: String, value: Int, expected: String)
    /// `LiveAudioConfiguration.suggestedLatency` is negative or above one second.
    case latencyOutOfRange(seconds: Double)
    /// `operation` was asked of a `LiveAudioStream` that `close()` has closed.
    case streamClosed(operation: String)
    /// A `LiveAudioConfiguration` asked for neither a microphone nor a speaker.
    case noDirections

    public var description: String {
        switch self {
        case .portAudio(let function, let code):
            return "\(function) failed: \(Self.portAudioText(code)) (\(code))"
        case .noDevices:
            return "no audio devices found: PortAudio sees no sound card or sound server "
                + "(ALSA, JACK or PulseAudio via the ALSA pulse plugin)"
        case .noMatchingDevice(let direction, let selector, let available):
            let list = available.isEmpty ? "(none)" : available.joined(separator: ", ")
            switch selector {
            case .systemDefault: return "no default \(direction) device; available: \(list)"
            case .index(let index): return "no \(direction) device with index \(index); available: \(list)"
            case .name(let name): return "no \(direction) device matching '\(name)'; available: \(list)"
            }
        case .ambiguousDevice(let direction, let name, let matches):
            return "\(direction) device name '\(name)' is ambiguous: it matches \(matches.joined(separator: ", ")) "
                + "(expected the full name or an index)"
        case .formatNotSupported(let direction, let device, let channels, let sampleRate, let code):
            return "\(direction) device \(device) cannot run \(channels) channel(s) of 32-bit float "
                + "at \(sampleRate) Hz: \(Self.portAudioText(code)) (\(code))"
        case .settingOutOfRange(let name, let value, let expected):
            return "live audio \(name) \(value) is out of range (expected \(expected))"
        case .latencyOutOfRange(let seconds):
            return "live audio suggested latency \(seconds) s is out of range (expected 0...1 s)"
        case .streamClosed(let operation):
            return "cannot \(operation) a live audio stream that has been closed"
        case .noDirections:
            return "a live audio stream needs an input or an output (directions is empty)"
        }
    }

    private static func portAudioText(_ code: Int32) -> String {
        String(cString: Pa_GetErrorText(PaError(code)))
    }
}
