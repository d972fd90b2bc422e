internal import COpus

/// Decodes Opus packets into 48 kHz mono float PCM, conceals lost packets, and recovers a lost frame from
/// the next packet's in-band FEC. Owns one libopus decoder state.
///
/// Not thread-safe: one owner drives it. Output goes into a caller-owned buffer, so decoding allocates nothing.
public final class OpusDecoder {
    private let state: OpaquePointer
    /// A same-sized copy of the state, for trying concealment without disturbing the real decoder.
    private let probe: UnsafeMutableRawPointer
    private let stateSize: Int
    private var probeOutput = [Float](repeating: 0, count: OpusDecoder.maxFrameSamples)
    /// The longest frame libopus can return: 120 ms at 48 kHz.
    public static let maxFrameSamples = 5_760

    public init() throws(OpusError) {
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(OpusSettings.sampleRate), 1, &error), error == OPUS_OK else {
            throw OpusError(function: "opus_decoder_create", code: error)
        }
        self.state = state
        stateSize = Int(opus_decoder_get_size(1))
        probe = UnsafeMutableRawPointer.allocate(byteCount: stateSize, alignment: 16)
    }

    deinit {
        opus_decoder_destroy(state)
        probe.deallocate()
    }

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

    /// `recoverFromFEC`, also telling whether `nextPacket` really carried FEC for the lost frame: libopus falls
    /// back to PLC silently when it does not, so the same concealment is run on a copy of the decoder state
    /// (libopus documents the state as one flat block that `memcpy` copies) and the two results compared.
    public func recoverFromFECCheckingPresence(
        of nextPacket: [UInt8], samples: Int, into output: UnsafeMutableBufferPointer<Float>
    ) throws(OpusError) -> (count: Int, carriedFEC: Bool) {
        precondition(samples <= output.count && samples <= probeOutput.count, "output too small for \(samples) samples")
        probe.copyMemory(from: UnsafeRawPointer(state), byteCount: stateSize)
        let probeState = OpaquePointer(probe)
        let concealed = probeOutput.withUnsafeMutableBufferPointer { buffer in
            opus_decode_float(probeState, nil, 0, buffer.baseAddress!, Int32(samples), 0)
        }
        let count = try recoverFromFEC(of: nextPacket, samples: samples, into: output)
        guard concealed == Int32(count) else { return (count, true) }
        for index in 0..<count where output[index] != probeOutput[index] { return (count, true) }
        return (count, false)
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
