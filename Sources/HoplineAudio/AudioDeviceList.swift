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

    public init(
        index: Int, name: String, hostAPI: String, maxInputChannels: Int, maxOutputChannels: Int,
        defaultSampleRate: Double, isDefaultInput: Bool, isDefaultOutput: Bool
    ) {
        self.index = index
        self.name = name
        self.hostAPI = hostAPI
        self.maxInputChannels = maxInputChannels
        self.maxOutputChannels = maxOutputChannels
        self.defaultSampleRate = defaultSampleRate
        self.isDefaultInput = isDefaultInput
        self.isDefaultOutput = isDefaultOutput
    }
}

/// Enumerates PortAudio's input and output devices.
///
/// PortAudio (through ALSA and JACK) prints diagnostics on stderr while it initialises; those are kept off
/// the user's terminal. JACK is told not to start a server. An empty list means no sound card and no sound
/// server (see `AudioDeviceError.noDevices`).
public enum AudioDeviceList {
    public static func devices() throws(AudioDeviceError) -> [AudioDeviceInfo] {
        try PortAudioSession.withInitialized { () throws(AudioDeviceError) -> [AudioDeviceInfo] in
            try enumerate()
        }
    }

    /// The device list; the caller holds `PortAudioSession`'s lock with PortAudio initialised.
    static func enumerate() throws(AudioDeviceError) -> [AudioDeviceInfo] {
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
