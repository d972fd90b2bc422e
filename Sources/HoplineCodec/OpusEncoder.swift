internal import COpus

/// Encodes 48 kHz mono float PCM frames into Opus packets. Owns one libopus encoder state.
///
/// Not thread-safe: one owner drives it. It allocates nothing per frame when given a reusable output buffer.
public final class OpusEncoder {
    private let state: OpaquePointer
    public private(set) var settings: OpusSettings
    /// The encoder's algorithmic delay (look-ahead) in 48 kHz samples.
    public let lookahead: Int

    /// The largest packet Hopline asks libopus to produce (RFC 6716 allows up to 1275 bytes per frame).
    public static let maxPacketBytes = 1_500

    public init(settings: OpusSettings) throws {
        try settings.validate()
        var error: Int32 = 0
        guard let state = opus_encoder_create(Int32(OpusSettings.sampleRate), 1, OPUS_APPLICATION_VOIP, &error),
            error == OPUS_OK
        else { throw OpusError(function: "opus_encoder_create", code: error) }
        self.state = state
        self.settings = settings
        var lookahead: Int32 = 0
        do {
            try OpusError.check(hopline_opus_set_signal_voice(state), "OPUS_SET_SIGNAL")
            try OpusError.check(hopline_opus_get_lookahead(state, &lookahead), "OPUS_GET_LOOKAHEAD")
        } catch {
            opus_encoder_destroy(state)
            throw error
        }
        self.lookahead = Int(lookahead)
        try apply(settings)
    }

    deinit { opus_encoder_destroy(state) }

    /// Changes bitrate, frame size, complexity, FEC, expected loss and DTX mid-stream.
    public func apply(_ newSettings: OpusSettings) throws {
        try newSettings.validate()
        try OpusError.check(hopline_opus_set_bitrate(state, Int32(newSettings.bitrate)), "OPUS_SET_BITRATE")
        try OpusError.check(hopline_opus_set_complexity(state, Int32(newSettings.complexity)), "OPUS_SET_COMPLEXITY")
        try OpusError.check(
            hopline_opus_set_inband_fec(state, newSettings.forwardErrorCorrection ? 1 : 0), "OPUS_SET_INBAND_FEC")
        try OpusError.check(
            hopline_opus_set_packet_loss_perc(state, Int32(newSettings.expectedLossPercent)), "OPUS_SET_PACKET_LOSS_PERC")
        try OpusError.check(hopline_opus_set_dtx(state, newSettings.discontinuousTransmission ? 1 : 0), "OPUS_SET_DTX")
        settings = newSettings
    }

    /// Encodes exactly one frame (`settings.frameSamples` samples) into `packet`, replacing its contents.
    /// Returns the packet length; with DTX on, 1-2 byte packets mean "silence, nothing to send".
    @discardableResult
    public func encode(_ frame: UnsafeBufferPointer<Float>, into packet: inout [UInt8]) throws(OpusError) -> Int {
        precondition(frame.count == settings.frameSamples, "an Opus frame is exactly \(settings.frameSamples) samples")
        if packet.count != Self.maxPacketBytes { packet = [UInt8](repeating: 0, count: Self.maxPacketBytes) }
        let state = self.state
        let frameSamples = Int32(frame.count)
        let length = packet.withUnsafeMutableBufferPointer { output in
            opus_encode_float(state, frame.baseAddress!, frameSamples, output.baseAddress!, Int32(output.count))
        }
        try OpusError.check(length, "opus_encode_float")
        packet.removeSubrange(Int(length)...)
        return Int(length)
    }

    /// Whether the encoder is currently in DTX (sending nothing but occasional silence updates).
    public var isInDiscontinuousTransmission: Bool {
        var value: Int32 = 0
        return hopline_opus_get_in_dtx(state, &value) == OPUS_OK && value != 0
    }
}
