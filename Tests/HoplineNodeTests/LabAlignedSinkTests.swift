@testable import HoplineNode
import XCTest

/// The lab's streaming alignment, exactly: output sample `i` is stream sample `start + lookahead + i`, zeros
/// where the stream has none, exactly `length` samples, whatever the chunking and whenever the alignment
/// becomes known.
final class LabAlignedSinkTests: XCTestCase {
    /// Plays `stream` in chunks of `chunk`, aligning after `alignAfter` chunks; returns what was written.
    private func run(
        stream: [Float], chunk: Int, start: Int64?, alignAfter: Int, lookahead: Int, length: Int
    ) throws -> (output: [Float], held: Int) {
        let output = ArrayLoopbackOutput()
        let sink = LabAlignedSink(output: output, length: length, lookahead: lookahead)
        for (index, offset) in stride(from: 0, to: stream.count, by: chunk).enumerated() {
            if index == alignAfter, let start { sink.align(inputStartInStream: start) }
            let piece = Array(stream[offset..<min(stream.count, offset + chunk)])
            piece.withUnsafeBufferPointer { sink.play($0) }
        }
        try sink.finish()
        return (output.samples, sink.maximumHeld)
    }

    private func expected(stream: [Float], start: Int64, lookahead: Int, length: Int) -> [Float] {
        (0..<length).map { index in
            let source = Int(start) + lookahead + index
            return source >= 0 && source < stream.count ? stream[source] : 0
        }
    }

    func testEveryOffsetChunkingAndAlignmentTimeGivesTheReferenceAlignment() throws {
        let stream = (0..<2_000).map { Float($0 + 1) }
        for start: Int64 in [-700, -13, 0, 1, 250, 1_900, 2_500] {
            for chunk in [1, 7, 480] {
                for alignAfter in [0, 1, 3] {
                    let result = try run(stream: stream, chunk: chunk, start: start, alignAfter: alignAfter, lookahead: 312, length: 1_500)
                    XCTAssertEqual(
                        result.output, expected(stream: stream, start: start, lookahead: 312, length: 1_500),
                        "start \(start), chunk \(chunk), aligned after \(alignAfter)")
                    XCTAssertLessThanOrEqual(result.held, chunk * (alignAfter + 1), "only the chunks before the alignment wait")
                }
            }
        }
    }

    func testAStreamThatNeverPlaysGivesSilenceOfTheInputsLength() throws {
        let result = try run(stream: [Float](repeating: 0.5, count: 960), chunk: 480, start: nil, alignAfter: 0, lookahead: 312, length: 700)
        XCTAssertEqual(result.output, [Float](repeating: 0, count: 700))
    }

    func testAFailingOutputIsReportedByFinish() throws {
        final class Failing: LoopbackOutput {
            struct Full: Error {}
            func write(_ samples: [Float]) throws { throw Full() }
            func finish() throws {}
        }
        let sink = LabAlignedSink(output: Failing(), length: 100, lookahead: 0)
        sink.align(inputStartInStream: 0)
        [Float](repeating: 1, count: 50).withUnsafeBufferPointer { sink.play($0) }
        XCTAssertNotNil(sink.failure)
        XCTAssertThrowsError(try sink.finish()) { XCTAssertTrue($0 is Failing.Full) }
    }
}
