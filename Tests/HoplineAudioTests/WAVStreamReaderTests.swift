import Foundation
@testable import HoplineAudio
import XCTest

/// The streaming reader behind `hopline loopback`'s input: the same samples and the same errors as the whole
/// file reader, a block at a time, and a streaming resampler that matches the whole-clip one.
final class WAVStreamReaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hopline-streamread-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func write(_ fixture: WAVFixture, name: String = "in.wav") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(fixture.bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testALongFileReadsBlockByBlockAsTheWholeFileReaderReadsIt() throws {
        // 10 minutes at 8 kHz, written by the streaming writer a second at a time.
        let path = directory.appendingPathComponent("long.wav").path
        let writer = try WAVStreamWriter(path: path, sampleRate: 8_000)
        for second in 0..<600 {
            let block = (0..<8_000).map { 0.4 * sin(Float(second * 8_000 + $0) * 0.0123) }
            try block.withUnsafeBufferPointer { try writer.append($0) }
        }
        try writer.finish()

        let whole = try WAVReader.read(path: path).audio.samples
        let reader = try WAVStreamReader(path: path)
        XCTAssertEqual(reader.sampleCount, 600 * 8_000)
        XCTAssertEqual(reader.format.sampleRate, 8_000)
        var position = 0
        while true {
            let block = try reader.read(maximumSamples: 4_099)
            if block.isEmpty { break }
            XCTAssertLessThanOrEqual(block.count, 4_099, "never more than asked: memory is one block")
            XCTAssertEqual(block, Array(whole[position..<position + block.count]), "block at \(position)")
            position += block.count
        }
        XCTAssertEqual(position, whole.count)
        XCTAssertEqual(try reader.read(maximumSamples: 10), [])
    }

    func testEveryFormatDecodesAsTheWholeFileReader() throws {
        let stereo24 = WAVFixture(channels: 2, bitsPerSample: 24, data: WAVFixture.int24([1, -8_388_608, 4_000_000, -3, 77, 8_388_607]))
        let float = WAVFixture(formatTag: 3, sampleRate: 48_000, bitsPerSample: 32, data: WAVFixture.float32([0.5, -0.25, .nan, 1]))
        let extensible = WAVFixture(
            bitsPerSample: 32, subformatGUID: WAVFixture.guid(tag: 1), data: WAVFixture.int32([5, -2_147_483_648, 99]),
            chunksBeforeFormat: [("LIST", [1, 2, 3])])
        let byte = WAVFixture(sampleRate: 8_000, bitsPerSample: 8, data: WAVFixture.uint8([0, 128, 255, 7]))
        for (index, fixture) in [stereo24, float, extensible, byte].enumerated() {
            let path = try write(fixture, name: "f\(index).wav")
            let whole = try WAVReader.read(path: path)
            let reader = try WAVStreamReader(path: path)
            XCTAssertEqual(reader.format, whole.format)
            var samples: [Float] = []
            while case let block = try reader.read(maximumSamples: 2), !block.isEmpty { samples += block }
            XCTAssertEqual(samples, whole.audio.samples, "fixture \(index)")
        }
    }

    func testBadFilesGiveTheWholeFileReadersErrors() throws {
        let missingData = Array(WAVFixture(data: WAVFixture.int16([1])).bytes().prefix(36))  // RIFF + fmt only
        var tooLong = WAVFixture(data: WAVFixture.int16([1, 2]))
        tooLong.dataChunkSize = 100
        let noSamples = WAVFixture()
        var shortFormat = WAVFixture(data: WAVFixture.int16([1]))
        shortFormat.formatChunkSize = 12
        let adpcm = WAVFixture(formatTag: 2, data: [1, 2])
        let threeChannels = WAVFixture(channels: 3, data: WAVFixture.int16([1, 2, 3]))
        let truncated = Array(WAVFixture(data: WAVFixture.int16([1])).bytes().prefix(30))
        let files: [[UInt8]] =
            [missingData, [], truncated]
            + [tooLong, noSamples, shortFormat, adpcm, threeChannels].map { $0.bytes() }
        for (index, bytes) in files.enumerated() {
            let path = directory.appendingPathComponent("bad\(index).wav").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            var expected: AudioFileError?
            XCTAssertThrowsError(try WAVReader.read(path: path)) { expected = $0 as? AudioFileError }
            XCTAssertThrowsError(try WAVStreamReader(path: path), "file \(index)") {
                XCTAssertEqual($0 as? AudioFileError, expected, "file \(index)")
            }
        }
        let text = directory.appendingPathComponent("text.wav").path
        try Data("hello, not a wav".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try WAVStreamReader(path: text)) {
            guard case .notRIFFWAVE = $0 as? AudioFileError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try WAVStreamReader(path: directory.path)) {
            XCTAssertEqual($0 as? AudioFileError, .isDirectory(path: directory.path))
        }
        XCTAssertThrowsError(try WAVStreamReader(path: directory.appendingPathComponent("none.wav").path)) {
            guard case .fileNotFound = $0 as? AudioFileError else { return XCTFail("\($0)") }
        }
    }

    func testTheStreamResamplerGivesTheWholeClipResamplersSamplesPieceByPiece() throws {
        let input = (0..<37_123).map { 0.5 * sin(Float($0) * 0.05) + 0.2 * sin(Float($0) * 0.31) }
        for (from, to) in [(16_000, 48_000), (48_000, 16_000), (44_100, 48_000), (48_000, 48_000)] {
            let whole = try Resampler.resample(PCMAudio(sampleRate: from, samples: input), to: to).samples
            let stream = try StreamResampler(inputRate: from, outputRate: to, inputCount: input.count)
            XCTAssertEqual(stream.outputCount, whole.count)
            var pieces: [Float] = []
            var position = 0
            var size = 1
            while position < input.count {
                let end = min(input.count, position + size)
                pieces += try stream.process(Array(input[position..<end]))
                position = end
                size = size * 3 % 4_001 + 1
            }
            pieces += try stream.finish()
            XCTAssertEqual(pieces.count, whole.count, "\(from) -> \(to)")
            let worst = zip(pieces, whole).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "\(from) -> \(to)")
        }
    }
}
