import Foundation
import HoplineAudio
import XCTest

/// WAVWriter's bytes, its round trip through WAVReader, and its all-or-nothing replacement of the target.
final class WAVWriterTests: XCTestCase {
    private func contentsOfDirectory(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    private func assertWrite(
        _ audio: PCMAudio, toPath path: String, throws expected: AudioFileError,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            try WAVWriter.write(audio, toPath: path)
            XCTFail("expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func testWritesCanonical16BitMonoBytes() throws {
        let path = try makeTemporaryDirectory() + "/out.wav"
        try WAVWriter.write(PCMAudio(sampleRate: 16_000, samples: [0, 1, -1, 0.5, -0.5, 2, -3, .nan]), toPath: path)
        var expected = WAVFixture(sampleRate: 16_000)
        // 0.5 * 32767 = 16383.5 rounds away from zero; 2 and -3 clip; NaN becomes 0.
        expected.data = WAVFixture.int16([0, 32767, -32767, 16384, -16384, 32767, -32767, 0])
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), expected.bytes())
        XCTAssertEqual(expected.bytes().count, 44 + 16)
    }

    func testRoundTripIsWithinOneStep() throws {
        let path = try makeTemporaryDirectory() + "/round.wav"
        var generator = SystemRandomNumberGenerator()
        var samples: [Float] = [0, 1, -1, 1e-6, -1e-6, 0.999_99, -0.999_99, 1.5, -1.5]
        samples += (0..<5_000).map { _ in Float.random(in: -1...1, using: &generator) }
        let audio = PCMAudio(sampleRate: 44_100, samples: samples)
        try WAVWriter.write(audio, toPath: path)
        let contents = try WAVReader.read(path: path)
        XCTAssertEqual(
            contents.format,
            WAVFormat(encoding: .pcmInteger, bitsPerSample: 16, channels: 1, sampleRate: 44_100, isExtensible: false))
        XCTAssertEqual(contents.audio.sampleRate, 44_100)
        XCTAssertEqual(contents.audio.samples.count, samples.count)
        var worst: Float = 0
        for (written, read) in zip(samples, contents.audio.samples) {
            worst = max(worst, abs(min(max(written, -1), 1) - read))
        }
        XCTAssertLessThanOrEqual(worst, 1.0 / 32767)
        XCTAssertEqual(Array(contents.audio.samples.prefix(3)), [0, 1, -1], "full scale is exact")
        XCTAssertEqual(Array(contents.audio.samples[7...8]), [1, -1], "clipped")
    }

    func testOverwritingReplacesTheFileAndLeavesNothingElse() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/take.wav"
        try WAVWriter.write(PCMAudio(sampleRate: 8_000, samples: [Float](repeating: 0.25, count: 1_000)), toPath: path)
        let replacement = PCMAudio(sampleRate: 48_000, samples: [1, -1, 0])
        try WAVWriter.write(replacement, toPath: path)
        XCTAssertEqual(try WAVReader.read(path: path).audio, replacement)
        XCTAssertEqual(try contentsOfDirectory(directory), ["take.wav"])
    }

    func testWritesIntoNestedDirectory() throws {
        let directory = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/a/b", withIntermediateDirectories: true)
        let path = directory + "/a/b/nested.wav"
        try WAVWriter.write(PCMAudio(sampleRate: 8_000, samples: [0.5]), toPath: path)
        XCTAssertEqual(try WAVReader.read(path: path).audio.samples.count, 1)
        XCTAssertEqual(try contentsOfDirectory(directory + "/a/b"), ["nested.wav"])
    }

    func testWritingIntoMissingDirectoryFailsAndLeavesNoTemporaryFile() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/no-such-dir/out.wav"
        assertWrite(
            PCMAudio(sampleRate: 16_000, samples: [0.1]), toPath: path,
            throws: .writeFailed(path: path, operation: "open", errno: ENOENT))
        XCTAssertEqual(try contentsOfDirectory(directory), [])
    }

    func testFailedRenameRemovesTheTemporaryFile() throws {
        // The target is a non-empty directory: the temporary file is written, then rename(2) fails.
        let directory = try makeTemporaryDirectory()
        let path = directory + "/occupied.wav"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        assertWrite(
            PCMAudio(sampleRate: 16_000, samples: [0.1, 0.2]), toPath: path,
            throws: .writeFailed(path: path, operation: "rename", errno: EISDIR))
        XCTAssertEqual(try contentsOfDirectory(directory), ["occupied.wav"])
        XCTAssertEqual(try contentsOfDirectory(path), ["inside"])
    }

    func testFailedWriteKeepsTheOldFile() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/keep.wav"
        let original = PCMAudio(sampleRate: 16_000, samples: [0.5, -0.5])
        try WAVWriter.write(original, toPath: path)
        assertWrite(PCMAudio(sampleRate: 16_000, samples: []), toPath: path, throws: .noSamples(path: path))
        assertWrite(
            PCMAudio(sampleRate: 96_000, samples: [0]), toPath: path,
            throws: .sampleRateOutOfRange(path: path, sampleRate: 96_000))
        XCTAssertEqual(try WAVReader.read(path: path).audio.samples, [16384.0 / 32767, -16384.0 / 32767])
        XCTAssertEqual(try contentsOfDirectory(directory), ["keep.wav"])
    }

    func testDirectoryPathWithTrailingSlashIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/"
        assertWrite(
            PCMAudio(sampleRate: 16_000, samples: [0]), toPath: path,
            throws: .writeFailed(path: path, operation: "open", errno: EISDIR))
        XCTAssertEqual(try contentsOfDirectory(directory), [])
    }
}
