internal import Glibc

/// Writes a 16-bit mono WAV file progressively, for recordings of any length in constant memory: samples
/// are appended to `partialPath` (the target with `.partial` after it) and its header is rewritten with the
/// sizes so far at every `checkpoint()`, so a process that is killed leaves a valid WAV holding everything
/// up to its last checkpoint; `finish()` writes the final header, fsyncs and renames the file into place.
/// Appended samples are kept in a buffer of `bufferSamples` and written when it fills and at every checkpoint
/// (one write a second for a call's recording rather than one per 10 ms chunk), so what a killed process leaves
/// is the same: everything up to the last checkpoint.
///
/// Samples are converted as `WAVWriter` does (clipped to -1...1, NaN as 0, scaled by 32767, rounded).
/// Not thread-safe: one writer thread. Failures throw `AudioFileError.writeFailed` naming the call.
public final class WAVStreamWriter {
    public let path: String
    public let partialPath: String
    public let sampleRate: Int
    public private(set) var sampleCount = 0
    private var fd: Int32
    /// Converted samples not written yet (16-bit little-endian), and the samples already in the file.
    private var pending: [UInt8] = []
    private var writtenSamples = 0
    private let bufferBytes: Int
    private var finished = false

    private static let headerSize = 44

    /// Creates (or truncates) `partialPath` and writes a header for no samples yet. Up to `bufferSamples`
    /// appended samples are held before a write (default: one second at 48 kHz).
    public init(path: String, sampleRate: Int = 48_000, bufferSamples: Int = 48_000) throws(AudioFileError) {
        guard WAVReader.supportedSampleRates.contains(sampleRate) else {
            throw .sampleRateOutOfRange(path: path, sampleRate: sampleRate)
        }
        self.path = path
        partialPath = path + ".partial"
        self.sampleRate = sampleRate
        bufferBytes = 2 * max(1, bufferSamples)
        pending.reserveCapacity(bufferBytes)
        var descriptor: Int32
        repeat {
            descriptor = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw .writeFailed(path: partialPath, operation: "open", errno: errno) }
        fd = descriptor
        do throws(AudioFileError) {
            try write(Self.header(sampleRate: sampleRate, samples: 0), at: 0)
        } catch {
            close(fd)
            unlink(partialPath)
            throw error
        }
    }

    deinit {
        // Not finished (an error, or the owner went away): leave the partial file with a valid header.
        if !finished {
            try? checkpoint()
            close(fd)
        }
    }

    /// Appends samples at the end of the data (written to the file when the buffer fills, or at the next
    /// checkpoint).
    public func append(_ samples: UnsafeBufferPointer<Float>) throws(AudioFileError) {
        guard !finished else { throw .writeFailed(path: path, operation: "write after finish", errno: EBADF) }
        let size = Self.headerSize + 2 * (sampleCount + samples.count)
        guard size <= WAVReader.maximumFileSize else {
            throw .fileTooLarge(path: path, size: size, limit: WAVReader.maximumFileSize)
        }
        var rest = samples[...]
        while !rest.isEmpty {
            let room = max(1, (bufferBytes - pending.count) / 2)
            let part = rest.prefix(room)
            Self.convert(UnsafeBufferPointer(rebasing: part), appendingTo: &pending)
            sampleCount += part.count
            rest = rest.dropFirst(part.count)
            if pending.count >= bufferBytes { try flush() }
        }
    }

    /// Writes what is buffered, then rewrites the header with the sizes so far: the partial file is a valid
    /// WAV of everything appended.
    public func checkpoint() throws(AudioFileError) {
        try flush()
        try write(Self.header(sampleRate: sampleRate, samples: sampleCount), at: 0)
    }

    /// Writes the buffered samples after those already in the file.
    private func flush() throws(AudioFileError) {
        guard !pending.isEmpty else { return }
        try write(pending, at: Self.headerSize + 2 * writtenSamples)
        writtenSamples += pending.count / 2
        pending.removeAll(keepingCapacity: true)
    }

    /// 16-bit little-endian, converted as `WAVWriter` does (clipped to -1...1, NaN as 0, scaled by 32767, rounded).
    private static func convert(_ samples: UnsafeBufferPointer<Float>, appendingTo bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 2 * samples.count))
        bytes.withUnsafeMutableBufferPointer { buffer in
            for (index, sample) in samples.enumerated() {
                let clipped = sample.isNaN ? 0 : min(max(sample, -1), 1)
                let value = UInt16(bitPattern: Int16((clipped * 32767).rounded()))
                buffer[start + 2 * index] = UInt8(value & 0xFF)
                buffer[start + 2 * index + 1] = UInt8(value >> 8)
            }
        }
    }

    /// Final header (one sample of silence if nothing was appended, so the file is always valid), fsync, and
    /// the rename of `partialPath` to `path`.
    public func finish() throws(AudioFileError) {
        guard !finished else { return }
        if sampleCount == 0 {
            var silence: Float = 0
            try withUnsafePointer(to: &silence) { pointer throws(AudioFileError) in
                try append(UnsafeBufferPointer(start: pointer, count: 1))
            }
        }
        try checkpoint()
        guard fsync(fd) == 0 else { throw .writeFailed(path: partialPath, operation: "fsync", errno: errno) }
        finished = true
        guard close(fd) == 0 else { throw .writeFailed(path: partialPath, operation: "close", errno: errno) }
        guard rename(partialPath, path) == 0 else { throw .writeFailed(path: path, operation: "rename", errno: errno) }
    }

    private func write(_ bytes: [UInt8], at offset: Int) throws(AudioFileError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: partialPath, operation: "write", errno: errno)
            }
            guard count > 0 else { throw .writeFailed(path: partialPath, operation: "write", errno: EIO) }
            written += count
        }
    }

    /// The canonical 44-byte header (`WAVWriter`'s) with its RIFF and data sizes set for `samples` samples.
    static func header(sampleRate: Int, samples: Int) -> [UInt8] {
        var header = WAVWriter.encode(PCMAudio(sampleRate: sampleRate, samples: []))
        let dataSize = UInt32(2 * samples), riffSize = 36 + dataSize
        for index in 0..<4 {
            header[4 + index] = UInt8(truncatingIfNeeded: riffSize >> (8 * UInt32(index)))
            header[40 + index] = UInt8(truncatingIfNeeded: dataSize >> (8 * UInt32(index)))
        }
        return header
    }
}
