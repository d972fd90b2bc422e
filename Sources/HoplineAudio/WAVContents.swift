/// What `WAVReader.read(path:)` returns: the audio as mono `Float` samples at the file's own sample rate
/// (stereo is downmixed by averaging the two channels), and the format the file stored it in.
public struct WAVContents: Sendable {
    /// Mono samples at `format.sampleRate`, scaled to -1...1.
    public var audio: PCMAudio
    /// The file's own encoding, sample size, channel count and rate.
    public var format: WAVFormat

    public init(audio: PCMAudio, format: WAVFormat) {
        self.audio = audio
        self.format = format
    }
}
