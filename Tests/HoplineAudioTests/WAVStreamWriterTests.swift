import Foundation
@testable import HoplineAudio
import XCTest

/// The streaming writer behind call recordings: constant memory, a partial file that is a valid WAV at every
/// checkpoint (what a killed process leaves), and an atomic rename at the end.
final class WAVStreamWriterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hopline-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func tone(_ count: Int, offset: Int = 0) -> [Float] {
        (0..<count).map { 0.5 * sin(Float($0 + offset) * 2 * .pi * 440 / 48_000) }
    }

    func testThePartialFileIsAValidWAVAtEveryCheckpointAndFinishRenamesIt() throws {
        let path = directory.appendingPathComponent("call.wav").path
        let writer = try WAVStreamWriter(path: path)
        let first = tone(48_000), second = tone(24_000, offset: 48_000)
        try first.withUnsafeBufferPointer { try writer.append($0) }
        try writer.checkpoint()
        XCTAssertEqual(try WAVReader.read(path: writer.partialPath).audio.samples.count, 48_000)
        try second.withUnsafeBufferPointer { try writer.append($0) }
        // Not checkpointed yet: the partial file still says one second (what a crash now would leave).
        XCTAssertEqual(try WAVReader.read(path: writer.partialPath).audio.samples.count, 48_000)
        try writer.finish()
        XCTAssertFalse(FileManager.default.fileExists(atPath: writer.partialPath))
        let samples = try WAVReader.read(path: path).audio.samples
        XCTAssertEqual(samples.count, 72_000)
        for (index, expected) in (first + second).enumerated() where index % 997 == 0 {
            XCTAssertEqual(samples[index], expected, accuracy: 1.0 / 32_767)
        }
    }

    func testAWriterThatIsNeverFinishedLeavesItsPartialFileValid() throws {
        let path = directory.appendingPathComponent("killed.wav").path
        var writer: WAVStreamWriter? = try WAVStreamWriter(path: path)
        try tone(4_800).withUnsafeBufferPointer { try writer?.append($0) }
        writer = nil  // the owner went away without finishing
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(try WAVReader.read(path: path + ".partial").audio.samples.count, 4_800)
    }

    func testAppendsAreBufferedUntilTheBufferFillsOrACheckpointAndKeepTheirOrder() throws {
        let path = directory.appendingPathComponent("buffered.wav").path
        let writer = try WAVStreamWriter(path: path, bufferSamples: 100)
        let audio = tone(1_000)
        func fileBytes() throws -> Int { try FileManager.default.attributesOfItem(atPath: writer.partialPath)[.size] as! Int }
        try audio[0..<60].withUnsafeBufferPointer { try writer.append($0) }
        XCTAssertEqual(try fileBytes(), 44, "60 samples wait in the buffer")
        try audio[60..<310].withUnsafeBufferPointer { try writer.append($0) }
        XCTAssertEqual(try fileBytes(), 44 + 2 * 300, "three full buffers are written, 10 samples wait")
        XCTAssertEqual(writer.sampleCount, 310)
        try writer.checkpoint()
        XCTAssertEqual(try WAVReader.read(path: writer.partialPath).audio.samples.count, 310)
        try audio[310...].withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
        let samples = try WAVReader.read(path: path).audio.samples
        XCTAssertEqual(samples.count, 1_000)
        for (index, expected) in audio.enumerated() { XCTAssertEqual(samples[index], expected, accuracy: 1.0 / 32_767) }
    }

    func testAnEmptyRecordingIsStillAValidFileAndBadPathsAreNamed() throws {
        let path = directory.appendingPathComponent("empty.wav").path
        try WAVStreamWriter(path: path).finish()
        XCTAssertEqual(try WAVReader.read(path: path).audio.samples, [0])
        XCTAssertThrowsError(try WAVStreamWriter(path: "/nonexistent/dir/x.wav")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/dir/x.wav.partial"), "\($0)")
        }
    }
}
