import HoplineAudio

/// The lab's input from a WAV file, read a block at a time and resampled to 48 kHz as it goes (the same
/// samples `Resampler.resample` gives on the whole file), so memory does not grow with the file.
public final class WAVLoopbackInput: LoopbackInput {
    public let reader: WAVStreamReader
    private let resampler: StreamResampler
    private var pending: [Float] = []
    private var start = 0
    private var finished = false

    public init(path: String) throws {
        reader = try WAVStreamReader(path: path)
        resampler = try StreamResampler(
            inputRate: reader.format.sampleRate, outputRate: 48_000, inputCount: reader.sampleCount)
    }

    public var sampleCount: Int { resampler.outputCount }
    /// The file's own sample rate.
    public var fileSampleRate: Int { reader.format.sampleRate }

    public func read(maximumSamples: Int) throws -> [Float] {
        if pending.count - start < maximumSamples && !finished {
            // Taken samples are dropped here, once per refill (about a second), not once per frame.
            pending.removeSubrange(0..<start)
            start = 0
            while pending.count < maximumSamples && !finished {
                let block = try reader.read(maximumSamples: 48_000)
                if block.isEmpty {
                    pending += try resampler.finish()
                    finished = true
                } else {
                    pending += try resampler.process(block)
                }
            }
        }
        let count = min(maximumSamples, pending.count - start)
        defer { start += count }
        return Array(pending[start..<start + count])
    }
}

/// The lab's output to a WAV file (16-bit mono at `sampleRate`), resampled from 48 kHz as it goes and
/// streamed to `PATH.partial` (`WAVStreamWriter`, header made valid every second) that `finish()` renames
/// into place: memory stays flat and an interrupted run never leaves a half-written file at `path`.
public final class WAVLoopbackOutput: LoopbackOutput {
    private let writer: WAVStreamWriter
    private let resampler: StreamResampler
    private var sinceCheckpoint = 0

    /// `inputCount`: the 48 kHz samples the lab will write.
    public init(path: String, sampleRate: Int, inputCount: Int) throws {
        resampler = try StreamResampler(inputRate: 48_000, outputRate: sampleRate, inputCount: inputCount)
        writer = try WAVStreamWriter(path: path, sampleRate: sampleRate)
    }

    public var partialPath: String { writer.partialPath }

    public func write(_ samples: [Float]) throws { try append(resampler.process(samples)) }

    public func finish() throws {
        try append(resampler.finish())
        try writer.finish()
    }

    private func append(_ samples: [Float]) throws {
        try samples.withUnsafeBufferPointer { try writer.append($0) }
        sinceCheckpoint += samples.count
        if sinceCheckpoint >= writer.sampleRate {
            sinceCheckpoint = 0
            try writer.checkpoint()
        }
    }
}
