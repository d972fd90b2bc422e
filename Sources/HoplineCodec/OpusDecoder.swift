internal import COpus

/// Decodes Opus packets into 48 kHz mono float PCM, conceals lost packets, and recovers a lost frame from
/// the next packet's in-band FEC. Owns one libopus decoder state.
///
/// Not thread-safe: one owner drives it. Output goes into a caller-owned buffer, so decoding allocates nothing.
public final class OpusDecoder {
    private let state: OpaquePointer
    /// The longest frame libopus can return: 120 ms at 48 kHz.
    public static let maxFrameSamples = 5_760

    public init() throws(OpusError) {
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(OpusSettings.sampleRate), 1, &error), error == OPUS_OK else {
            throw OpusError(function: "opus_decoder_create", code: error)
        }
        self.state = state
    }

    deinit { opus_decoder_destroy(state) }

    /// The number of 48 kHz samples `packet` decodes to, or an error for a malformed packet.
    public static func sampleCount(of packet: [UInt8]) throws(OpusError) -> Int {
        guard !packet.isEmpty else { throw OpusError(function: "opus_packet_get_nb_samples", code: OPUS_BAD_ARG) }
        let count = packet.withUnsafeBufferPointer { bytes in
            opus_packet_get_nb_samples(bytes.baseAddress!, Int32(bytes.count), Int32(OpusSettings.sampleRate))
        }
        try OpusError.check(count, "opus_packet_get_nb_samples")
        // A well-formed TOC can still describe zero frames (code 3, count 0): nothing to play, so invalid.
        guard count > 0 else { throw OpusError(function: "opus_packet_get_nb_samples", code: OPUS_INVALID_PACKET) }
        return Int(count)
    }

    /// Decodes `packet` into the start of `output`; returns the number of samples written.
    public func decode(_ packet: [UInt8], into output: UnsafeMutableBufferPointer<Float>) throws(OpusError) -> Int {
        try run(packet, frameSamples: output.count, decodeFEC: false, output: output)
    }

    /// Synthesises `samples` of audio for a missing packet with Opus PLC (or comfort noise after DTX).
    public func conceal(samples: Int, into output: UnsafeMutableBufferPointer<Float>) throws(OpusError) -> Int {
        precondition(samples <= output.count, "output too small for \(samples) samples")
        return try run(nil, frameSamples: samples, decodeFEC: false, output: output)
    }

    /// Rebuilds the frame *before* `nextPacket` from its in-band FEC data (`decode_fec=1`), `samples` long.
    /// Without FEC data in the packet libopus falls back to PLC for that frame.
    public func recoverFromFEC(
        of nextPacket: [UInt8], samples: Int, into output: UnsafeMutableBufferPointer<Float>
    ) throws(OpusError) -> Int {
        precondition(samples <= output.count, "output too small for \(samples) samples")
        return try run(nextPacket, frameSamples: samples, decodeFEC: true, output: output)
    }

    private func run(
        _ packet: [UInt8]?, frameSamples: Int, decodeFEC: Bool, output: UnsafeMutableBufferPointer<Float>
    ) throws(OpusError) -> Int {
        guard let outputBase = output.baseAddress, frameSamples > 0 else {
            throw OpusError(function: "opus_decode_float", code: OPUS_BUFFER_TOO_SMALL)
        }
        let state = self.state
        let frame = Int32(min(frameSamples, output.count))
        let decoded: Int32
        if let packet, !packet.isEmpty {
            decoded = packet.withUnsafeBufferPointer { bytes in
                opus_decode_float(
                    state, bytes.baseAddress!, Int32(bytes.count), outputBase, frame, decodeFEC ? 1 : 0)
            }
        } else {
            decoded = opus_decode_float(state, nil, 0, outputBase, frame, 0)
        }
        return Int(try OpusError.check(decoded, decodeFEC ? "opus_decode_float(fec)" : "opus_decode_float"))
    }
}
