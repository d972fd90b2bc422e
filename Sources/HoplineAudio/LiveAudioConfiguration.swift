/// How a `LiveAudioStream` opens its devices: which ones, and the stream format.
///
/// The defaults are what a Hopline call uses: mono 32-bit float at 48 kHz, 10 ms (480-frame) callbacks, the
/// devices' default low latency, and rings holding 8192 samples (about 170 ms) each way. A call that sends a
/// file or records to one opens only the direction it needs (`directions`).
public struct LiveAudioConfiguration: Sendable, Equatable {
    /// Which streams to open: the microphone (`input`), the speaker (`output`), or both.
    public var directions: Set<AudioDirection>
    /// The microphone: PortAudio's default input unless set.
    public var input: AudioDeviceSelector
    /// The speaker: PortAudio's default output unless set.
    public var output: AudioDeviceSelector
    /// Samples per second, both directions.
    public var sampleRate: Int
    /// Frames per PortAudio callback (one frame is one mono sample).
    public var framesPerBuffer: Int
    /// Minimum capacity of the capture ring and of the playback ring, in samples (rounded up to a power of 2).
    public var ringCapacity: Int
    /// Seconds of buffering PortAudio is asked for in each direction (it may round up); nil: each device's
    /// default low latency. More survives a busier machine without device underflows, at that much delay.
    public var suggestedLatency: Double?

    public init(
        directions: Set<AudioDirection> = [.input, .output],
        input: AudioDeviceSelector = .systemDefault, output: AudioDeviceSelector = .systemDefault,
        sampleRate: Int = 48_000, framesPerBuffer: Int = 480, ringCapacity: Int = 8_192,
        suggestedLatency: Double? = nil
    ) {
        self.directions = directions
        self.input = input
        self.output = output
        self.sampleRate = sampleRate
        self.framesPerBuffer = framesPerBuffer
        self.ringCapacity = ringCapacity
        self.suggestedLatency = suggestedLatency
    }
}
