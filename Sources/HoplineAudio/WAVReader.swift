internal import Glibc

/// Reads a WAV file into mono `Float` audio at the file's own rate.
///
/// Supported: integer PCM (8-bit unsigned, 16/24/32-bit signed), 32-bit IEEE float, and
/// WAVE_FORMAT_EXTENSIBLE (0xFFFE) whose subformat GUID is PCM or float; 1 or 2 channels (stereo is
/// downmixed by averaging); rates in `supportedSampleRates`. Anything else throws one `AudioFileError`
/// naming the problem.
///
/// Rules, chosen to be simple and predictable:
/// - The whole file is read in one go (at most `maximumFileSize` bytes); only regular files are opened.
/// - The RIFF size field is ignored: chunks are walked to the end of the file, skipping unknown ones
///   (`LIST`, `fact`, ...) with the pad byte after odd sizes. The first `fmt ` and first `data` chunk win.
/// - A `data` size larger than the bytes that follow is an error, and so is a size of 0; both are what
///   streaming writers leave (0xFFFFFFFF or 0) when they never patch the header, and guessing the length
///   would silently read garbage. A trailing partial frame is ignored.
/// - `nBlockAlign` must equal channels × bytes per sample; `nAvgBytesPerSec`, the extensible header's
///   valid-bits and channel-mask fields are ignored (samples are decoded at the container size).
/// - Integers are scaled symmetrically (16-bit: `v / 32767`) with the most negative code clamped to -1,
///   so every sample is in -1...1 and `WAVWriter`'s output reads back exactly to within 0.5 / 32767.
///   Non-finite float samples (NaN, ±infinity) become 0.
///
/// Never crashes or hangs on malformed input: every offset is bounds-checked. Stateless and thread-safe.
public enum WAVReader {
    /// The sample rates accepted, in Hz.
    public static let supportedSampleRates: ClosedRange<Int> = 8_000...48_000
    /// Larger files are refused before reading (1 GiB: about 3 hours of 48 kHz 16-bit stereo).
    public static let maximumFileSize = 1 << 30

    /// Reads and decodes the WAV file at `path`.
    public static func read(path: String) throws(AudioFileError) -> WAVContents {
        let bytes = try readFile(path: path)
        return try decode(bytes, path: path)
    }

    // MARK: - Reading the bytes

    /// The whole file, after checking that it is an existing regular file of a sane size.
    static func readFile(path: String) throws(AudioFileError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw code == ENOENT ? .fileNotFound(path: path) : .unreadable(path: path, errno: code)
        }
        try checkRegularFile(mode: info.st_mode, path: path)

        // O_NONBLOCK: if the path was swapped for a FIFO since `stat`, opening must not wait for a writer.
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            throw code == ENOENT ? .fileNotFound(path: path) : .unreadable(path: path, errno: code)
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, errno: errno) }
        try checkRegularFile(mode: info.st_mode, path: path)

        let size = Int(info.st_size)
        guard size <= maximumFileSize else {
            throw .fileTooLarge(path: path, size: size, limit: maximumFileSize)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var count = 0
        while count < size {
            let got = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + count, size - count)
            }
            if got < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                throw .unreadable(path: path, errno: code)
            }
            if got == 0 { break }  // the file shrank since fstat: keep what is there
            count += got
        }
        bytes.removeSubrange(count...)
        guard !bytes.isEmpty else { throw .emptyFile(path: path) }
        return bytes
    }

    static func checkRegularFile(mode: mode_t, path: String) throws(AudioFileError) {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw .isDirectory(path: path)
        case S_IFIFO: throw .notARegularFile(path: path, kind: "FIFO")
        case S_IFCHR: throw .notARegularFile(path: path, kind: "character device")
        case S_IFBLK: throw .notARegularFile(path: path, kind: "block device")
        case S_IFSOCK: throw .notARegularFile(path: path, kind: "socket")
        default: throw .notARegularFile(path: path, kind: "special file")
        }
    }

    // MARK: - Parsing

    /// Decodes a whole WAV file held in memory; `path` only names it in errors. Public for the fuzz target.
    public static func decode(_ bytes: [UInt8], path: String) throws(AudioFileError) -> WAVContents {
        try checkRIFFHeader(bytes, path: path)
        let (fmtChunk, dataChunk) = findChunks(bytes)

        guard let fmtChunk else { throw .missingFormatChunk(path: path) }
        guard fmtChunk.body + fmtChunk.size <= bytes.count else {
            throw .truncatedHeader(path: path, fileSize: bytes.count)
        }
        let format = try parseFormat(bytes, fmt: fmtChunk.body, size: fmtChunk.size, path: path)

        guard let dataChunk else { throw .missingDataChunk(path: path) }
        let available = bytes.count - dataChunk.body
        guard dataChunk.size > 0 else { throw .noSamples(path: path) }
        guard dataChunk.size <= available else {
            throw .dataChunkLongerThanFile(path: path, declared: dataChunk.size, available: available)
        }
        let samples = decodeSamples(bytes, start: dataChunk.body, byteCount: dataChunk.size, format: format)
        return WAVContents(audio: PCMAudio(sampleRate: format.sampleRate, samples: samples), format: format)
    }

    private static let riff = Array("RIFF".utf8)
    private static let wave = Array("WAVE".utf8)

    /// `RIFF` <size> `WAVE`. A short file that matches as far as it goes is truncated; else it is not WAV.
    private static func checkRIFFHeader(_ bytes: [UInt8], path: String) throws(AudioFileError) {
        guard !bytes.isEmpty else { throw .emptyFile(path: path) }
        let head = Array(bytes.prefix(12))
        let riffMatches = head.prefix(4).elementsEqual(riff.prefix(min(4, head.count)))
        let waveMatches = head.count <= 8 || head[8...].elementsEqual(wave.prefix(head.count - 8))
        guard riffMatches && waveMatches else { throw .notRIFFWAVE(path: path, found: head) }
        guard head.count == 12 else { throw .truncatedHeader(path: path, fileSize: bytes.count) }
    }

    /// Where a chunk's body starts and the size its header declares (which may run past the end).
    private struct ChunkLocation {
        var body: Int
        var size: Int
    }

    /// Walks the chunks after the RIFF header and returns the first `fmt ` and `data` chunks. Stops once
    /// both are found, at the end of the file, or at the first chunk that runs past the end (nothing after
    /// it can be located); the caller checks the sizes of the two it gets.
    private static func findChunks(_ bytes: [UInt8]) -> (fmt: ChunkLocation?, data: ChunkLocation?) {
        let fmtID = Array("fmt ".utf8)
        let dataID = Array("data".utf8)
        var fmt: ChunkLocation?
        var data: ChunkLocation?
        var offset = 12
        while offset + 8 <= bytes.count, fmt == nil || data == nil {
            let id = bytes[offset..<offset + 4]
            let chunk = ChunkLocation(body: offset + 8, size: Int(readUInt32(bytes, at: offset + 4)))
            let runsPastEnd = chunk.body + chunk.size > bytes.count
            if fmt == nil && id.elementsEqual(fmtID) {
                fmt = chunk
            } else if data == nil && id.elementsEqual(dataID) {
                data = chunk
            }
            if runsPastEnd { break }
            offset = chunk.body + chunk.size + (chunk.size & 1)
        }
        return (fmt, data)
    }

    /// Validates the `fmt ` chunk (whose `size` bytes at `fmt` are known to be in the file).
    static func parseFormat(
        _ bytes: [UInt8], fmt: Int, size: Int, path: String
    ) throws(AudioFileError) -> WAVFormat {
        guard size >= 16 else { throw .formatChunkTooShort(path: path, size: size, expected: 16) }
        let tag = readUInt16(bytes, at: fmt)
        let channels = Int(readUInt16(bytes, at: fmt + 2))
        let sampleRate = Int(readUInt32(bytes, at: fmt + 4))
        let blockAlign = Int(readUInt16(bytes, at: fmt + 12))
        let bits = Int(readUInt16(bytes, at: fmt + 14))

        let encoding: WAVFormat.Encoding
        let isExtensible = tag == WAVFormatTag.extensible
        if isExtensible {
            // cbSize (2), wValidBitsPerSample (2), dwChannelMask (4), SubFormat GUID (16).
            guard size >= 40 else { throw .formatChunkTooShort(path: path, size: size, expected: 40) }
            let guid = bytes[(fmt + 24)..<(fmt + 40)]
            switch WAVFormatTag.tag(ofSubformat: guid) {
            case WAVFormatTag.pcm: encoding = .pcmInteger
            case WAVFormatTag.ieeeFloat: encoding = .ieeeFloat
            default:
                throw .unsupportedEncoding(
                    path: path, formatTag: tag, subformatGUID: WAVFormatTag.guidString(guid))
            }
        } else {
            switch tag {
            case WAVFormatTag.pcm: encoding = .pcmInteger
            case WAVFormatTag.ieeeFloat: encoding = .ieeeFloat
            default: throw .unsupportedEncoding(path: path, formatTag: tag, subformatGUID: nil)
            }
        }

        let bitsSupported =
            switch encoding {
            case .pcmInteger: [8, 16, 24, 32].contains(bits)
            case .ieeeFloat: bits == 32
            }
        guard bitsSupported else {
            throw .unsupportedBitsPerSample(path: path, bits: bits, encoding: encoding)
        }
        guard channels > 0 else { throw .zeroChannels(path: path) }
        guard channels <= 2 else { throw .tooManyChannels(path: path, channels: channels) }
        guard supportedSampleRates.contains(sampleRate) else {
            throw .sampleRateOutOfRange(path: path, sampleRate: sampleRate)
        }
        let expectedBlockAlign = channels * bits / 8
        guard blockAlign == expectedBlockAlign else {
            throw .blockAlignMismatch(path: path, blockAlign: blockAlign, expected: expectedBlockAlign)
        }
        return WAVFormat(
            encoding: encoding, bitsPerSample: bits, channels: channels, sampleRate: sampleRate,
            isExtensible: isExtensible)
    }

    /// Mono samples from `byteCount` bytes of validated interleaved frames at `start` (in bounds).
    static func decodeSamples(
        _ bytes: [UInt8], start: Int, byteCount: Int, format: WAVFormat
    ) -> [Float] {
        let bytesPerSample = format.bitsPerSample / 8
        let frameSize = bytesPerSample * format.channels
        let frameCount = byteCount / frameSize
        let stereo = format.channels == 2
        var samples = [Float](repeating: 0, count: frameCount)
        bytes.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                /// Fills `dst` from `sample(offset)`, which decodes one sample starting at byte `offset`.
                func fill(_ sample: (Int) -> Float) {
                    for frame in 0..<frameCount {
                        let offset = start + frame * frameSize
                        // Halve before adding: two large finite float samples must not sum to infinity.
                        dst[frame] =
                            stereo ? sample(offset) * 0.5 + sample(offset + bytesPerSample) * 0.5 : sample(offset)
                    }
                }
                switch (format.encoding, format.bitsPerSample) {
                case (.pcmInteger, 8):
                    fill { max(-1, Float(Int(src[$0]) - 128) / 127) }
                case (.pcmInteger, 16):
                    fill { max(-1, Float(Int16(bitPattern: readUInt16(src, at: $0))) / 32767) }
                case (.pcmInteger, 24):
                    fill { i in
                        // Place the 3 bytes at the top of an Int32, then shift back to sign-extend.
                        let raw = Int32(bitPattern: UInt32(src[i]) << 8 | UInt32(src[i + 1]) << 16 | UInt32(src[i + 2]) << 24)
                        return max(-1, Float(raw >> 8) / 8_388_607)
                    }
                case (.pcmInteger, _):  // 32, as validated
                    fill { max(-1, Float(Double(Int32(bitPattern: readUInt32(src, at: $0))) / 2_147_483_647)) }
                case (.ieeeFloat, _):  // 32, as validated
                    fill { i in
                        let value = Float(bitPattern: readUInt32(src, at: i))
                        return value.isFinite ? value : 0
                    }
                }
            }
        }
        return samples
    }

    /// Little-endian integers; the caller has checked that the bytes are there.
    private static func readUInt16<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at i: Int) -> UInt16
    where Bytes.Index == Int {
        UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
    }

    private static func readUInt32<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at i: Int) -> UInt32
    where Bytes.Index == Int {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
}
