import Foundation
import HoplineAudio
import HoplineTestSupport
import XCTest

/// Damaged files never crash or hang the reader: each one either parses into sane audio or throws.
final class WAVReaderFuzzTests: XCTestCase {

    /// Stereo 16-bit with a LIST chunk before the data: 12 + 24 (fmt) + 22 (LIST: 13 bytes + pad) + 24 (data) = 82 bytes.
    private var seedFile: [UInt8] {
        var fixture = WAVFixture(channels: 2, sampleRate: 22_050)
        fixture.chunksBeforeData = [(id: "LIST", body: Array("INFOIART".utf8) + [1, 0, 0, 0, 65])]
        fixture.data = WAVFixture.int16([100, -100, 32767, -32768, 0, 1, -2, 3])
        return fixture.bytes()
    }

    /// Reads `bytes` from `path`; if they parse, checks the result is self-consistent.
    private func readAndCheck(_ bytes: [UInt8], at path: String, file: StaticString = #filePath, line: UInt = #line) throws
        -> Bool
    {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            let contents = try WAVReader.read(path: path)
            let format = contents.format
            XCTAssertTrue((1...2).contains(format.channels), file: file, line: line)
            XCTAssertTrue(WAVReader.supportedSampleRates.contains(format.sampleRate), file: file, line: line)
            XCTAssertEqual(contents.audio.sampleRate, format.sampleRate, file: file, line: line)
            XCTAssertFalse(contents.audio.samples.isEmpty, file: file, line: line)
            XCTAssertLessThanOrEqual(
                contents.audio.samples.count * format.channels * format.bitsPerSample / 8, bytes.count,
                "never more samples than bytes", file: file, line: line)
            let insane = contents.audio.samples.first { !$0.isFinite || (format.encoding == .pcmInteger && abs($0) > 1) }
            XCTAssertNil(insane, "samples are finite, and integer PCM stays within -1...1", file: file, line: line)
            return true
        } catch {
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            return false
        }
    }

    func testEveryTruncationThrows() throws {
        let path = try makeTemporaryDirectory() + "/cut.wav"
        let bytes = seedFile
        XCTAssertEqual(bytes.count, 82)
        XCTAssertTrue(try readAndCheck(bytes, at: path), "the undamaged file parses")
        // The data chunk is last, so any shorter prefix is missing part of the header or of the data.
        for length in 0..<bytes.count {
            XCTAssertFalse(try readAndCheck(Array(bytes.prefix(length)), at: path), "prefix of \(length) bytes")
        }
    }

    func testRandomDamageNeverCrashes() throws {
        let path = try makeTemporaryDirectory() + "/damaged.wav"
        let original = seedFile
        var generator = SeededGenerator(seed: 0x486F_706C_696E_6521)
        var parsed = 0
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                // Half the time a single bit, else a whole random byte.
                if Bool.random(using: &generator) {
                    bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                } else {
                    bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            if Int.random(in: 0..<4, using: &generator) == 0 {
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
            }
            if try readAndCheck(bytes, at: path) { parsed += 1 }
        }
        // Damage to sample bytes, the RIFF size or the LIST chunk still parses: both outcomes occur.
        XCTAssertGreaterThan(parsed, 100)
        XCTAssertLessThan(parsed, 1_900)
    }
}
