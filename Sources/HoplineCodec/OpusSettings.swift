/// Encoder settings for one Opus stream, as the CLI and configuration expose them.
///
/// Hopline always encodes mono at 48 kHz for speech (`OPUS_APPLICATION_VOIP`).
public struct OpusSettings: Equatable, Sendable, Codable {
    /// Target bitrate in bits per second (Opus accepts 6000...510000).
    public var bitrate: Int
    /// Frame duration in milliseconds: 10, 20, 40 or 60.
    public var frameMilliseconds: Int
    /// Encoder complexity 0...10 (higher is better quality for more CPU).
    public var complexity: Int
    /// In-band forward error correction (LBRR): each packet also carries a low-rate copy of the previous frame.
    public var forwardErrorCorrection: Bool
    /// The loss rate the encoder plans FEC for, in percent (0...100). FEC carries nothing at 0.
    public var expectedLossPercent: Int
    /// Discontinuous transmission: during silence send a packet only every 400 ms.
    public var discontinuousTransmission: Bool

    public static let sampleRate = 48_000
    public static let allowedFrameMilliseconds = [10, 20, 40, 60]

    public init(
        bitrate: Int = 32_000,
        frameMilliseconds: Int = 20,
        complexity: Int = 9,
        forwardErrorCorrection: Bool = true,
        expectedLossPercent: Int = 5,
        discontinuousTransmission: Bool = false
    ) {
        self.bitrate = bitrate
        self.frameMilliseconds = frameMilliseconds
        self.complexity = complexity
        self.forwardErrorCorrection = forwardErrorCorrection
        self.expectedLossPercent = expectedLossPercent
        self.discontinuousTransmission = discontinuousTransmission
    }

    /// Samples per frame at 48 kHz.
    public var frameSamples: Int { frameMilliseconds * Self.sampleRate / 1000 }

    /// Checks every field; the error names the field, its value and what is allowed.
    public func validate() throws(OpusSettingsError) {
        guard (6_000...510_000).contains(bitrate) else {
            throw .outOfRange(setting: "bitrate", value: bitrate, allowed: "6000...510000 bit/s")
        }
        guard Self.allowedFrameMilliseconds.contains(frameMilliseconds) else {
            throw .outOfRange(setting: "frame-ms", value: frameMilliseconds, allowed: "10, 20, 40 or 60")
        }
        guard (0...10).contains(complexity) else {
            throw .outOfRange(setting: "complexity", value: complexity, allowed: "0...10")
        }
        guard (0...100).contains(expectedLossPercent) else {
            throw .outOfRange(setting: "expected loss", value: expectedLossPercent, allowed: "0...100 %")
        }
    }
}

/// A setting outside what Opus (or Hopline) accepts.
public enum OpusSettingsError: Error, Equatable, CustomStringConvertible {
    case outOfRange(setting: String, value: Int, allowed: String)

    public var description: String {
        switch self {
        case .outOfRange(let setting, let value, let allowed):
            return "invalid \(setting) \(value) (expected \(allowed))"
        }
    }
}
