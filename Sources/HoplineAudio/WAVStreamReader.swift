internal import Glibc

/// Reads a WAV file a block at a time, for inputs of any length in constant memory: the header is parsed
/// and checked when the reader opens (the same formats, rules and errors as `WAVReader`, which reads whole
/// files), then `read(maximumSamples:)` decodes the next block of mono samples at the file's own rate.
///
/// Only the chunk headers, the `fmt ` body and one block of bytes are ever held. Unlike `WAVReader` there is
/// no size limit (nothing is loaded). Not thread-safe: one reader thread. The file is closed in `deinit`.
public final class WAVStreamReader {
    public let path: String
    public let format: WAVFormat
    /// Mono samples in the data chunk (a trailing partial frame is ignored, as `WAVReader` does).
    public let sampleCount: Int
    /// Samples returned so far.
    public private(set) var position = 0
    private let fd: Int32
    private let dataStart: Int
    private var block: [UInt8] = []

    /// Opens `path` and validates its header; throws the `AudioFileError` `WAVReader.read` would.
    public init(path: String) throws(AudioFileError) {
        self.path = path
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            let code = errno
            throw code == ENOENT ? .fileNotFound(path: path) : .unreadable(path: path, errno: code)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw .unreadable(path: path, errno: code)
        }
        do throws(AudioFileError) {
            try WAVReader.checkRegularFile(mode: info.st_mode, path: path)
            let header = try Self.parseHeader(fd: descriptor, fileSize: Int(info.st_size), path: path)
            format = header.format
            dataStart = header.dataStart
            sampleCount = header.dataSize / (format.bitsPerSample / 8 * format.channels)
        } catch {
            close(descriptor)
            throw error
        }
        fd = descriptor
    }

    deinit { close(fd) }

    /// The next at most `maximumSamples` samples (fewer only at the end; empty once everything was read).
    public func read(maximumSamples: Int) throws(AudioFileError) -> [Float] {
        let count = min(maximumSamples, sampleCount - position)
        guard count > 0 else { return [] }
        let frameSize = format.bitsPerSample / 8 * format.channels
        let byteCount = count * frameSize
        if block.count != byteCount { block = [UInt8](repeating: 0, count: byteCount) }
        try Self.readFully(fd: fd, into: &block, at: dataStart + position * frameSize, path: path)
        position += count
        return WAVReader.decodeSamples(block, start: 0, byteCount: byteCount, format: format)
    }

    // MARK: - Header

    private static func parseHeader(
        fd: Int32, fileSize: Int, path: String
    ) throws(AudioFileError) -> (format: WAVFormat, dataStart: Int, dataSize: Int) {
        guard fileSize > 0 else { throw .emptyFile(path: path) }
        var head = [UInt8](repeating: 0, count: min(12, fileSize))
        try readFully(fd: fd, into: &head, at: 0, path: path)
        let riffMatches = head.prefix(4).elementsEqual(Array("RIFF".utf8).prefix(min(4, head.count)))
        let waveMatches = head.count <= 8 || head[8...].elementsEqual(Array("WAVE".utf8).prefix(head.count - 8))
        guard riffMatches && waveMatches else { throw .notRIFFWAVE(path: path, found: head) }
        guard head.count == 12 else { throw .truncatedHeader(path: path, fileSize: fileSize) }

        var format: WAVFormat?
        var data: (start: Int, size: Int)?
        var offset = 12
        var chunkHeader = [UInt8](repeating: 0, count: 8)
        while offset + 8 <= fileSize, format == nil || data == nil {
            try readFully(fd: fd, into: &chunkHeader, at: offset, path: path)
            let id = String(decoding: chunkHeader[0..<4], as: UTF8.self)
            let size = Int(UInt32(chunkHeader[4]) | UInt32(chunkHeader[5]) << 8 | UInt32(chunkHeader[6]) << 16 | UInt32(chunkHeader[7]) << 24)
            let body = offset + 8
            let runsPastEnd = body + size > fileSize
            if format == nil && id == "fmt " {
                guard !runsPastEnd else { throw .truncatedHeader(path: path, fileSize: fileSize) }
                guard size >= 16 else { throw .formatChunkTooShort(path: path, size: size, expected: 16) }
                var bytes = [UInt8](repeating: 0, count: min(size, 256))
                try readFully(fd: fd, into: &bytes, at: body, path: path)
                format = try WAVReader.parseFormat(bytes, fmt: 0, size: bytes.count, path: path)
            } else if data == nil && id == "data" {
                data = (body, size)
            }
            if runsPastEnd { break }
            offset = body + size + (size & 1)
        }
        guard let format else { throw .missingFormatChunk(path: path) }
        guard let data else { throw .missingDataChunk(path: path) }
        guard data.size > 0 else { throw .noSamples(path: path) }
        let available = fileSize - data.start
        guard data.size <= available else {
            throw .dataChunkLongerThanFile(path: path, declared: data.size, available: available)
        }
        return (format, data.start, data.size)
    }

    /// Fills `bytes` from `offset`; a file that ends early is unreadable (it shrank after the header).
    private static func readFully(fd: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws(AudioFileError) {
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + count, buffer.count - count, off_t(offset + count))
            }
            if got < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                throw .unreadable(path: path, errno: code)
            }
            if got == 0 { throw .unreadable(path: path, errno: EIO) }
            count += got
        }
    }
}
