import HoplineCodec

/// The limit the pipeline is measured against: every frame of the input through one `OpusEncoder` and one
/// `OpusDecoder` back to back, with no RTP, sockets, jitter buffer or clock in between.
///
/// Frames are cut as `LoopbackLab` cuts them (zero-padded past the end, plus enough frames to flush the
/// encoder's look-ahead), so both sides do the same codec work on the same samples.
enum BareCodec {
    /// Encodes and decodes `input` (48 kHz mono). Returns the decoded audio shifted back by the encoder's
    /// look-ahead, so it lines up with `input` sample for sample and is exactly as long.
    static func run(input: [Float], settings: OpusSettings) throws -> [Float] {
        let encoder = try OpusEncoder(settings: settings)
        let decoder = try OpusDecoder()
        let frameSamples = settings.frameSamples
        let lookahead = encoder.lookahead
        let frameCount = (input.count + lookahead + frameSamples - 1) / frameSamples
        var frame = [Float](repeating: 0, count: frameSamples)
        var packet: [UInt8] = []
        var decoded = [Float](repeating: 0, count: frameCount * frameSamples)
        for frameIndex in 0..<frameCount {
            let start = frameIndex * frameSamples
            let available = min(frameSamples, input.count - start)
            for index in 0..<frameSamples { frame[index] = index < available ? input[start + index] : 0 }
            _ = try frame.withUnsafeBufferPointer { try encoder.encode($0, into: &packet) }
            let produced = try decoded.withUnsafeMutableBufferPointer { all in
                try decoder.decode(packet, into: UnsafeMutableBufferPointer(rebasing: all[start..<start + frameSamples]))
            }
            guard produced == frameSamples else {
                throw BenchmarkError.shortDecode(frame: frameIndex, samples: produced, expected: frameSamples)
            }
        }
        return Array(decoded[lookahead..<lookahead + input.count])
    }
}
