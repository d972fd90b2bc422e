import Foundation
import HoplineAudio
import XCTest

/// Every malformed or unsupported input throws its own `AudioFileError` case, whose description names
/// the file.
final class WAVReaderErrorTests: XCTestCase {
    /// A valid 16-bit mono file with two samples: 12 (RIFF) + 8 + 16 (fmt) + 8 + 4 (data) = 48 bytes.
    private var validFile: [UInt8] {
        var fixture = WAVFixture()
        fixture.data = WAVFixture.int16([1000, -1000])
        return fixture.bytes()
    }

    /// Writes `bytes` to a file called `name`, reads it, and checks the error is `expected(path)` and
    /// its description names the file.
    private func assertRead(
        _ bytes: [UInt8], named name: String = "bad.wav", throws expected: (String) -> AudioFileError,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = try writeFile(bytes, named: name, in: makeTemporaryDirectory())
        assertRead(path: path, throws: expected(path), file: file, line: line)
    }

    private func assertRead(
        path: String, throws expected: AudioFileError, file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let contents = try WAVReader.read(path: path)
            XCTFail("expected \(expected), read \(contents.audio.samples.count) samples", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
            let name = String(path.split(separator: "/").last ?? "")
            XCTAssertTrue(error.description.contains(name), "\(error.description) names \(name)", file: file, line: line)
        }
    }

    // MARK: The file itself

    func testMissingFile() throws {
        let path = try makeTemporaryDirectory() + "/missing.wav"
        assertRead(path: path, throws: .fileNotFound(path: path))
    }

    func testDirectory() throws {
        let path = try makeTemporaryDirectory() + "/folder.wav"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        assertRead(path: path, throws: .isDirectory(path: path))
    }

    func testUnreadablePathReportsErrnoText() throws {
        // A path through a regular file fails in stat with ENOTDIR (which works even as root, unlike chmod).
        let file = try writeFile(validFile, named: "plain.wav", in: makeTemporaryDirectory())
        let path = file + "/inner.wav"
        assertRead(path: path, throws: .unreadable(path: path, errno: ENOTDIR))
        XCTAssertEqual(
            AudioFileError.unreadable(path: path, errno: ENOTDIR).description,
            "cannot read \(path): Not a directory (errno \(ENOTDIR))")
    }

    func testFIFOIsRefusedWithoutBlocking() throws {
        let path = try makeTemporaryDirectory() + "/pipe.wav"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        assertRead(path: path, throws: .notARegularFile(path: path, kind: "FIFO"))
    }

    func testFileLargerThanLimitIsRefusedBeforeReading() throws {
        let path = try writeFile([], named: "huge.wav", in: makeTemporaryDirectory())
        XCTAssertEqual(truncate(path, off_t(WAVReader.maximumFileSize + 1)), 0)  // sparse: no disk used
        assertRead(
            path: path,
            throws: .fileTooLarge(path: path, size: WAVReader.maximumFileSize + 1, limit: WAVReader.maximumFileSize))
    }

    func testEmptyFile() throws {
        try assertRead([], named: "empty.wav") { .emptyFile(path: $0) }
    }

    // MARK: RIFF structure

    func testNotRIFF() throws {
        let ogg = Array("OggS".utf8) + [0, 2] + [UInt8](repeating: 0, count: 30)
        try assertRead(ogg, named: "voice.ogg") { .notRIFFWAVE(path: $0, found: Array(ogg.prefix(12))) }
        let error = AudioFileError.notRIFFWAVE(path: "voice.ogg", found: Array(ogg.prefix(12)))
        XCTAssertEqual(
            error.description,
            #"not a RIFF/WAVE file: voice.ogg starts with 'OggS\x00\x02\x00\x00\x00\x00\x00\x00' "#
                + "(expected 'RIFF', a 4-byte size, then 'WAVE')")
    }

    func testRIFFButNotWAVE() throws {
        var bytes = validFile
        bytes.replaceSubrange(8..<12, with: Array("AVI ".utf8))
        try assertRead(bytes, named: "movie.avi") { .notRIFFWAVE(path: $0, found: Array(bytes.prefix(12))) }
    }

    func testShortTextFileIsNotRIFF() throws {
        try assertRead(Array("hello".utf8), named: "notes.wav") { .notRIFFWAVE(path: $0, found: Array("hello".utf8)) }
    }

    func testTruncatedRIFFHeader() throws {
        try assertRead(Array(validFile.prefix(6)), named: "cut.wav") { .truncatedHeader(path: $0, fileSize: 6) }
        try assertRead(Array(validFile.prefix(10)), named: "cut.wav") { .truncatedHeader(path: $0, fileSize: 10) }
    }

    func testTruncatedInsideFormatChunk() throws {
        try assertRead(Array(validFile.prefix(30)), named: "cut.wav") { .truncatedHeader(path: $0, fileSize: 30) }
    }

    func testMissingFormatChunk() throws {
        var bytes = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8)
        bytes.appendChunk("data", WAVFixture.int16([1, 2]))
        try assertRead(bytes, named: "nofmt.wav") { .missingFormatChunk(path: $0) }
    }

    func testFormatChunkTooShort() throws {
        var fixture = WAVFixture(formatChunkSize: 14)
        fixture.data = WAVFixture.int16([1])
        try assertRead(fixture.bytes(), named: "short.wav") { .formatChunkTooShort(path: $0, size: 14, expected: 16) }
    }

    func testExtensibleFormatChunkTooShort() throws {
        var fixture = WAVFixture(formatTag: 0xFFFE)  // tag says extensible, but only the 16 basic bytes
        fixture.data = WAVFixture.int16([1])
        try assertRead(fixture.bytes(), named: "ext.wav") { .formatChunkTooShort(path: $0, size: 16, expected: 40) }
    }

    func testMissingDataChunk() throws {
        var bytes = Array(validFile.prefix(36))  // RIFF header + fmt chunk
        bytes.appendChunk("LIST", Array("INFOISFT".utf8))
        try assertRead(bytes, named: "nodata.wav") { .missingDataChunk(path: $0) }
    }

    func testDataChunkLongerThanFile() throws {
        var fixture = WAVFixture()
        fixture.data = WAVFixture.int16([1, 2, 3])
        fixture.dataChunkSize = 8
        try assertRead(fixture.bytes(), named: "long.wav") {
            .dataChunkLongerThanFile(path: $0, declared: 8, available: 6)
        }
    }

    func testStreamingPlaceholderDataSizesAreErrors() throws {
        var fixture = WAVFixture()
        fixture.data = WAVFixture.int16([1, 2, 3])
        fixture.dataChunkSize = 0xFFFF_FFFF
        try assertRead(fixture.bytes(), named: "stream.wav") {
            .dataChunkLongerThanFile(path: $0, declared: 0xFFFF_FFFF, available: 6)
        }
        fixture.dataChunkSize = 0
        try assertRead(fixture.bytes(), named: "stream.wav") { .noSamples(path: $0) }
    }

    // MARK: Format fields

    func testADPCMIsUnsupported() throws {
        var fixture = WAVFixture(formatTag: 0x0002, bitsPerSample: 4, blockAlign: 256)
        fixture.data = [UInt8](repeating: 0, count: 256)
        try assertRead(fixture.bytes(), named: "speech.wav") {
            .unsupportedEncoding(path: $0, formatTag: 2, subformatGUID: nil)
        }
        XCTAssertEqual(
            AudioFileError.unsupportedEncoding(path: "speech.wav", formatTag: 2, subformatGUID: nil).description,
            "unsupported WAV encoding 'ADPCM' (format tag 0x0002) in speech.wav "
                + "(expected PCM 8/16/24/32-bit integer or 32-bit float)")
    }

    func testExtensibleWithUnknownSubformat() throws {
        var fixture = WAVFixture()
        fixture.subformatGUID = Array(1...16)
        fixture.data = WAVFixture.int16([1])
        let guid = "04030201-0605-0807-090A-0B0C0D0E0F10"
        try assertRead(fixture.bytes(), named: "odd.wav") {
            .unsupportedEncoding(path: $0, formatTag: 0xFFFE, subformatGUID: guid)
        }
        XCTAssertEqual(
            AudioFileError.unsupportedEncoding(path: "odd.wav", formatTag: 0xFFFE, subformatGUID: guid).description,
            "unsupported WAV encoding 'unknown' (WAVE_FORMAT_EXTENSIBLE subformat \(guid)) in odd.wav "
                + "(expected PCM 8/16/24/32-bit integer or 32-bit float)")
    }

    func testExtensibleWithADPCMSubformatNamesIt() throws {
        var fixture = WAVFixture(bitsPerSample: 4, blockAlign: 256)
        fixture.subformatGUID = WAVFixture.guid(tag: 0x0002)
        fixture.data = [UInt8](repeating: 0, count: 256)
        let guid = "00000002-0000-0010-8000-00AA00389B71"
        try assertRead(fixture.bytes(), named: "adpcm.wav") {
            .unsupportedEncoding(path: $0, formatTag: 0xFFFE, subformatGUID: guid)
        }
        XCTAssertTrue(
            AudioFileError.unsupportedEncoding(path: "adpcm.wav", formatTag: 0xFFFE, subformatGUID: guid)
                .description.hasPrefix("unsupported WAV encoding 'ADPCM' (WAVE_FORMAT_EXTENSIBLE subformat \(guid))"))
    }

    func test12BitSamplesAreUnsupported() throws {
        var fixture = WAVFixture(bitsPerSample: 12, blockAlign: 2)
        fixture.data = [0, 0]
        try assertRead(fixture.bytes(), named: "twelve.wav") {
            .unsupportedBitsPerSample(path: $0, bits: 12, encoding: .pcmInteger)
        }
        XCTAssertEqual(
            AudioFileError.unsupportedBitsPerSample(path: "twelve.wav", bits: 12, encoding: .pcmInteger).description,
            "unsupported sample size 12 bits per sample for PCM integer in twelve.wav (expected 8, 16, 24 or 32)")
    }

    func test64BitFloatIsUnsupported() throws {
        var fixture = WAVFixture(formatTag: 0x0003, bitsPerSample: 64)
        fixture.data = [UInt8](repeating: 0, count: 8)
        try assertRead(fixture.bytes(), named: "double.wav") {
            .unsupportedBitsPerSample(path: $0, bits: 64, encoding: .ieeeFloat)
        }
    }

    func testZeroChannels() throws {
        var fixture = WAVFixture(channels: 0)
        fixture.data = [0, 0]
        try assertRead(fixture.bytes(), named: "silent.wav") { .zeroChannels(path: $0) }
    }

    func testThreeChannels() throws {
        var fixture = WAVFixture(channels: 3)
        fixture.data = WAVFixture.int16([1, 2, 3])
        try assertRead(fixture.bytes(), named: "surround.wav") { .tooManyChannels(path: $0, channels: 3) }
        XCTAssertEqual(
            AudioFileError.tooManyChannels(path: "surround.wav", channels: 3).description,
            "3 channels in surround.wav (expected 1 or 2)")
    }

    func testSampleRateOutOfRange() throws {
        for rate: UInt32 in [96_000, 7_999, 48_001, 0] {
            var fixture = WAVFixture(sampleRate: rate)
            fixture.data = WAVFixture.int16([1])
            try assertRead(fixture.bytes(), named: "rate.wav") { .sampleRateOutOfRange(path: $0, sampleRate: Int(rate)) }
        }
        XCTAssertEqual(
            AudioFileError.sampleRateOutOfRange(path: "hifi.wav", sampleRate: 96_000).description,
            "sample rate 96000 Hz in hifi.wav is out of range (expected 8000...48000 Hz)")
    }

    func testBlockAlignMismatch() throws {
        var fixture = WAVFixture(blockAlign: 4)
        fixture.data = WAVFixture.int16([1, 2])
        try assertRead(fixture.bytes(), named: "align.wav") { .blockAlignMismatch(path: $0, blockAlign: 4, expected: 2) }
    }

    // MARK: Descriptions

    func testEveryDescriptionNamesThePath() {
        let path = "/some/dir/clip.wav"
        let errors: [AudioFileError] = [
            .fileNotFound(path: path), .isDirectory(path: path), .notARegularFile(path: path, kind: "FIFO"),
            .unreadable(path: path, errno: EACCES), .fileTooLarge(path: path, size: 2, limit: 1),
            .emptyFile(path: path), .notRIFFWAVE(path: path, found: [0]), .truncatedHeader(path: path, fileSize: 3),
            .missingFormatChunk(path: path), .formatChunkTooShort(path: path, size: 2, expected: 16),
            .missingDataChunk(path: path), .unsupportedEncoding(path: path, formatTag: 7, subformatGUID: nil),
            .unsupportedBitsPerSample(path: path, bits: 20, encoding: .pcmInteger), .zeroChannels(path: path),
            .tooManyChannels(path: path, channels: 6), .sampleRateOutOfRange(path: path, sampleRate: 5),
            .dataChunkLongerThanFile(path: path, declared: 9, available: 1), .noSamples(path: path),
            .blockAlignMismatch(path: path, blockAlign: 1, expected: 2),
            .writeFailed(path: path, operation: "rename", errno: ENOENT),
        ]
        for error in errors {
            XCTAssertTrue(error.description.contains(path), error.description)
            XCTAssertEqual(error.path, path)
        }
        XCTAssertEqual(
            AudioFileError.writeFailed(path: path, operation: "rename", errno: ENOENT).description,
            "cannot write \(path): rename failed: No such file or directory (errno \(ENOENT))")
    }
}
