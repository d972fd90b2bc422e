#if canImport(Glibc)
internal import Glibc
#endif
internal import CPortAudio

/// One PortAudio device as `hopline devices` lists it.
public struct AudioDeviceInfo: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var hostAPI: String
    public var maxInputChannels: Int
    public var maxOutputChannels: Int
    public var defaultSampleRate: Double
    public var isDefaultInput: Bool
    public var isDefaultOutput: Bool
}

/// Enumerates PortAudio's input and output devices.
///
/// PortAudio (through ALSA and JACK) prints diagnostics on stderr while it initialises; those are kept off
/// the user's terminal. JACK is told not to start a server.
public enum AudioDeviceList {
    public static func devices() throws(AudioDeviceError) -> [AudioDeviceInfo] {
        try PortAudioSession.withInitialized { () throws(AudioDeviceError) -> [AudioDeviceInfo] in
            let count = Pa_GetDeviceCount()
            guard count >= 0 else { throw .portAudio(function: "Pa_GetDeviceCount", code: count) }
            let defaultInput = Pa_GetDefaultInputDevice()
            let defaultOutput = Pa_GetDefaultOutputDevice()
            var result: [AudioDeviceInfo] = []
            for index in 0..<count {
                guard let info = Pa_GetDeviceInfo(index)?.pointee else { continue }
                let hostAPI = Pa_GetHostApiInfo(info.hostApi).map { String(cString: $0.pointee.name) } ?? "?"
                result.append(
                    AudioDeviceInfo(
                        index: Int(index), name: String(cString: info.name), hostAPI: hostAPI,
                        maxInputChannels: Int(info.maxInputChannels), maxOutputChannels: Int(info.maxOutputChannels),
                        defaultSampleRate: info.defaultSampleRate, isDefaultInput: index == defaultInput,
                        isDefaultOutput: index == defaultOutput))
            }
            return result
        }
    }
}

/// A PortAudio failure, naming the function and PortAudio's own error text.
public enum AudioDeviceError: Error, Equatable, CustomStringConvertible {
    case portAudio(function: String, code: Int32)

    public var description: String {
        switch self {
        case .portAudio(let function, let code):
            return "\(function) failed: \(String(cString: Pa_GetErrorText(PaError(code)))) (\(code))"
        }
    }
}

/// Scopes PortAudio initialisation: `Pa_Initialize` with stderr silenced, the work, then `Pa_Terminate`.
enum PortAudioSession {
    static func withInitialized<T>(_ body: () throws(AudioDeviceError) -> T) throws(AudioDeviceError) -> T {
        setenv("JACK_NO_START_SERVER", "1", 0)
        let status = withStderrSilenced { Pa_Initialize() }
        guard status == paNoError.rawValue else { throw .portAudio(function: "Pa_Initialize", code: status) }
        defer { _ = withStderrSilenced { Pa_Terminate() } }
        return try body()
    }

    /// Points file descriptor 2 at /dev/null while `body` runs (library chatter from ALSA/JACK).
    static func withStderrSilenced<T>(_ body: () -> T) -> T {
        fflush(nil)
        let saved = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        if saved >= 0 && null >= 0 { dup2(null, STDERR_FILENO) }
        defer {
            fflush(nil)
            if saved >= 0 {
                dup2(saved, STDERR_FILENO)
                close(saved)
            }
            if null >= 0 { close(null) }
        }
        return body()
    }
}
