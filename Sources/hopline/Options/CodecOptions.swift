import ArgumentParser
import HoplineCodec

/// Opus encoder flags shared by every command that sends audio; each overrides the configuration file.
struct CodecOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Opus target bitrate in bit/s (6000-510000).", valueName: "bps"))
    var bitrate: Int?

    @Option(name: .customLong("frame-ms"), help: ArgumentHelp("Opus frame duration: 10, 20, 40 or 60 ms.", valueName: "ms"))
    var frameMilliseconds: Int?

    @Option(help: ArgumentHelp("Encoder complexity 0-10 (higher: better quality, more CPU).", valueName: "n"))
    var complexity: Int?

    @Flag(inversion: .prefixedNo, help: "Opus in-band forward error correction.")
    var fec: Bool?

    @Flag(help: "Discontinuous transmission: send almost nothing during silence.")
    var dtx = false

    @Flag(inversion: .prefixedNo, help: "Offer RFC 2198 redundant audio (RED); sent only while the peer reports loss.")
    var red: Bool?

    func validate() throws {
        if let bitrate, !(6_000...510_000).contains(bitrate) {
            throw ValidationError("--bitrate \(bitrate) is out of range (expected 6000...510000 bit/s)")
        }
        if let frameMilliseconds, !OpusSettings.allowedFrameMilliseconds.contains(frameMilliseconds) {
            throw ValidationError("--frame-ms \(frameMilliseconds) is not supported (expected 10, 20, 40 or 60)")
        }
        if let complexity, !(0...10).contains(complexity) {
            throw ValidationError("--complexity \(complexity) is out of range (expected 0...10)")
        }
    }

    /// The configuration's settings with these flags applied on top.
    func applied(to base: OpusSettings) -> OpusSettings {
        var settings = base
        if let bitrate { settings.bitrate = bitrate }
        if let frameMilliseconds { settings.frameMilliseconds = frameMilliseconds }
        if let complexity { settings.complexity = complexity }
        if let fec { settings.forwardErrorCorrection = fec }
        if dtx { settings.discontinuousTransmission = true }
        return settings
    }
}
