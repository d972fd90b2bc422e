internal import Glibc

/// Why a WAV file could not be read or written: one case per problem, each carrying the path and the
/// offending value. `description` is a complete sentence for the user: the path, what was wrong, and what
/// was expected.
public enum AudioFileError: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at the path (`stat` said ENOENT).
    case fileNotFound(path: String)
    /// The path names a directory.
    case isDirectory(path: String)
    /// The path names a FIFO, device or socket (`kind`), which could block or never end.
    case notARegularFile(path: String, kind: String)
    /// `stat`, `open` or `read` failed with `errno` (other than ENOENT).
    case unreadable(path: String, errno: Int32)
    /// The file is larger than `WAVReader.maximumFileSize`.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// The file has no bytes.
    case emptyFile(path: String)
    /// The file does not start with `RIFF` <size> `WAVE`; `found` is its first (up to 12) bytes.
    case notRIFFWAVE(path: String, found: [UInt8])
    /// The file ends (after `fileSize` bytes) inside the RIFF header or inside the `fmt ` chunk.
    case truncatedHeader(path: String, fileSize: Int)
    /// No `fmt ` chunk before the end of the file.
    case missingFormatChunk(path: String)
    /// The `fmt ` chunk is smaller than its format needs (16 bytes; 40 for WAVE_FORMAT_EXTENSIBLE).
    case formatChunkTooShort(path: String, size: Int, expected: Int)
    /// No `data` chunk before the end of the file.
    case missingDataChunk(path: String)
    /// The format tag (or, when `formatTag` is 0xFFFE, the WAVE_FORMAT_EXTENSIBLE subformat GUID, written
    /// as `subformatGUID`) is not integer PCM or IEEE float.
    case unsupportedEncoding(path: String, formatTag: UInt16, subformatGUID: String?)
    /// The sample size is not one the encoding supports (8/16/24/32 for PCM, 32 for float).
    case unsupportedBitsPerSample(path: String, bits: Int, encoding: WAVFormat.Encoding)
    /// The `fmt ` chunk says 0 channels.
    case zeroChannels(path: String)
    /// More than 2 channels.
    case tooManyChannels(path: String, channels: Int)
    /// The sample rate is outside `WAVReader.supportedSampleRates`.
    case sampleRateOutOfRange(path: String, sampleRate: Int)
    /// The `data` chunk declares more bytes than the file has after its header (this includes the
    /// 0xFFFFFFFF placeholder some streaming writers leave).
    case dataChunkLongerThanFile(path: String, declared: Int, available: Int)
    /// No samples: a `data` chunk of 0 bytes (also the placeholder streaming writers leave when they stop
    /// before patching the size), or an empty `PCMAudio` given to `WAVWriter`.
    case noSamples(path: String)
    /// `nBlockAlign` is not channels × bytes per sample.
    case blockAlignMismatch(path: String, blockAlign: Int, expected: Int)
    /// A system call (`operation`: open, write, fsync, close, rename) failed with `errno` while writing.
    case writeFailed(path: String, operation: String, errno: Int32)

    /// The path the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .isDirectory(let path), .notARegularFile(let path, _),
            .unreadable(let path, _), .fileTooLarge(let path, _, _), .emptyFile(let path),
            .notRIFFWAVE(let path, _), .truncatedHeader(let path, _), .missingFormatChunk(let path),
            .formatChunkTooShort(let path, _, _), .missingDataChunk(let path),
            .unsupportedEncoding(let path, _, _), .unsupportedBitsPerSample(let path, _, _),
            .zeroChannels(let path), .tooManyChannels(let path, _), .sampleRateOutOfRange(let path, _),
            .dataChunkLongerThanFile(let path, _, _), .noSamples(let path), .blockAlignMismatch(let path, _, _),
            .writeFailed(let path, _, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "no such file: \(path) (expected an existing WAV file)"
        case .isDirectory(let path):
            return "\(path) is a directory (expected a WAV file)"
        case .notARegularFile(let path, let kind):
            return "\(path) is a \(kind), not a regular file (expected a WAV file)"
        case .unreadable(let path, let code):
            return "cannot read \(path): \(Self.errnoText(code))"
        case .fileTooLarge(let path, let size, let limit):
            return "\(path) is too large: \(size) bytes (expected at most \(limit) bytes)"
        case .emptyFile(let path):
            return "\(path) is empty (0 bytes; expected a RIFF/WAVE file)"
        case .notRIFFWAVE(let path, let found):
            return "not a RIFF/WAVE file: \(path) starts with '\(Self.printable(found))' "
                + "(expected 'RIFF', a 4-byte size, then 'WAVE')"
        case .truncatedHeader(let path, let fileSize):
            return "truncated WAV header in \(path): the file ends after \(fileSize) bytes "
                + "(expected a 12-byte RIFF/WAVE header and a complete 'fmt ' chunk)"
        case .missingFormatChunk(let path):
            return "no 'fmt ' chunk in \(path) (expected one describing the samples before the end of the file)"
        case .formatChunkTooShort(let path, let size, let expected):
            return "'fmt ' chunk of \(size) bytes in \(path) is too short (expected at least \(expected) bytes)"
        case .missingDataChunk(let path):
            return "no 'data' chunk in \(path) (expected one holding the samples before the end of the file)"
        case .unsupportedEncoding(let path, let formatTag, let guid):
            let origin: String
            let name: String
            if let guid {
                origin = "WAVE_FORMAT_EXTENSIBLE subformat \(guid)"
                name = WAVFormatTag.name(ofSubformat: guid)
            } else {
                origin = "format tag \(WAVFormatTag.hex(formatTag))"
                name = WAVFormatTag.name(of: formatTag)
            }
            return "unsupported WAV encoding '\(name)' (\(origin)) in \(path) "
                + "(expected PCM 8/16/24/32-bit integer or 32-bit float)"
        case .unsupportedBitsPerSample(let path, let bits, let encoding):
            let (kind, expected) =
                switch encoding {
                case .pcmInteger: ("PCM integer", "8, 16, 24 or 32")
                case .ieeeFloat: ("IEEE float", "32")
                }
            return "unsupported sample size \(bits) bits per sample for \(kind) in \(path) (expected \(expected))"
        case .zeroChannels(let path):
            return "0 channels in \(path) (expected 1 or 2)"
        case .tooManyChannels(let path, let channels):
            return "\(channels) channels in \(path) (expected 1 or 2)"
        case .sampleRateOutOfRange(let path, let rate):
            let range = WAVReader.supportedSampleRates
            return "sample rate \(rate) Hz in \(path) is out of range "
                + "(expected \(range.lowerBound)...\(range.upperBound) Hz)"
        case .dataChunkLongerThanFile(let path, let declared, let available):
            return "'data' chunk in \(path) declares \(declared) bytes but only \(available) follow "
                + "(expected the file to hold the whole chunk; 4294967295 is a streaming writer's placeholder)"
        case .noSamples(let path):
            return "no audio samples in \(path): a 'data' chunk of 0 bytes (expected at least one sample "
                + "frame; 0 is also the placeholder a streaming writer leaves when it stops early)"
        case .blockAlignMismatch(let path, let blockAlign, let expected):
            return "block align \(blockAlign) bytes in \(path) (expected \(expected): channels × bytes per sample)"
        case .writeFailed(let path, let operation, let code):
            return "cannot write \(path): \(operation) failed: \(Self.errnoText(code))"
        }
    }

    /// `strerror` text with the number, e.g. `No such file or directory (errno 2)`.
    static func errnoText(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// Bytes as text, with anything that is not printable ASCII as `\xNN`.
    private static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes {
            if (0x20...0x7E).contains(byte) && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "'") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + WAVFormatTag.hexDigits(UInt64(byte), width: 2)
            }
        }
        return text
    }
}
