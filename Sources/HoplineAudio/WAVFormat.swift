/// How the samples of a WAV file were stored, as read from its `fmt ` chunk. `WAVReader` converts every
/// supported format to mono `Float`, so this is information about the file, not about `PCMAudio`.
public struct WAVFormat: Sendable, Equatable {
    /// The sample encodings `WAVReader` understands.
    public enum Encoding: Sendable, Equatable {
        /// Integer PCM: 8-bit unsigned, or 16/24/32-bit signed little-endian.
        case pcmInteger
        /// 32-bit IEEE 754 float, little-endian.
        case ieeeFloat
    }

    /// The sample encoding (for WAVE_FORMAT_EXTENSIBLE files, the one named by the subformat GUID).
    public var encoding: Encoding
    /// Bits per sample in the container (`wBitsPerSample`): 8, 16, 24 or 32.
    public var bitsPerSample: Int
    /// Interleaved channels in the file: 1 or 2.
    public var channels: Int
    /// Samples per second per channel (Hz).
    public var sampleRate: Int
    /// Whether the `fmt ` chunk used WAVE_FORMAT_EXTENSIBLE (format tag 0xFFFE) with a subformat GUID.
    public var isExtensible: Bool

    public init(encoding: Encoding, bitsPerSample: Int, channels: Int, sampleRate: Int, isExtensible: Bool) {
        self.encoding = encoding
        self.bitsPerSample = bitsPerSample
        self.channels = channels
        self.sampleRate = sampleRate
        self.isExtensible = isExtensible
    }
}
