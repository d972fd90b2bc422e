import Foundation
import HoplineAudio
import XCTest

final class SampleRingBufferTests: XCTestCase {
    func testCapacityIsRoundedUpToAPowerOfTwo() throws {
        XCTAssertEqual(try SampleRingBuffer(minimumCapacity: 1).capacity, 2)
        XCTAssertEqual(try SampleRingBuffer(minimumCapacity: 480).capacity, 512)
        XCTAssertEqual(try SampleRingBuffer(minimumCapacity: 8_192).capacity, 8_192)
        XCTAssertEqual(try SampleRingBuffer(minimumCapacity: 8_193).capacity, 16_384)
    }

    func testACapacityOutOfRangeIsRefused() {
        for capacity in [0, -1, SampleRingBuffer.maximumCapacity + 1] {
            XCTAssertThrowsError(try SampleRingBuffer(minimumCapacity: capacity)) { error in
                XCTAssertEqual(
                    "\(error)", "sample ring capacity \(capacity) is out of range (expected 1...16777216 samples)")
            }
        }
    }

    func testSamplesComeOutInOrderAcrossTheWrapAround() throws {
        let ring = try SampleRingBuffer(minimumCapacity: 8)
        var next: Float = 0, expected: Float = 0
        // Writes of 5 and reads of 3 walk the positions around the 8-slot ring many times.
        for _ in 0..<50 {
            let chunk = (0..<5).map { Float($0) + next }
            let written = chunk.withUnsafeBufferPointer { ring.write($0) }
            next += Float(written)
            var out = [Float](repeating: -1, count: 3)
            let read = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            for value in out[0..<read] {
                XCTAssertEqual(value, expected)
                expected += 1
            }
            XCTAssertEqual(ring.availableToRead, Int(next - expected))
            XCTAssertEqual(ring.availableToWrite, 8 - ring.availableToRead)
        }
        XCTAssertGreaterThan(expected, 100, "the positions wrapped around the ring many times")
    }

    func testAWriteIntoAFullRingStoresWhatFitsAndCountsAnOverrun() throws {
        let ring = try SampleRingBuffer(minimumCapacity: 4)
        let samples: [Float] = [1, 2, 3, 4, 5, 6]
        XCTAssertEqual(samples.withUnsafeBufferPointer { ring.write($0) }, 4)
        XCTAssertEqual(ring.overrunCount, 1)
        XCTAssertEqual(ring.droppedSampleCount, 2)
        XCTAssertEqual(ring.availableToWrite, 0)
        XCTAssertEqual(samples.withUnsafeBufferPointer { ring.write($0) }, 0)
        XCTAssertEqual(ring.overrunCount, 2)
        XCTAssertEqual(ring.droppedSampleCount, 8)

        var out = [Float](repeating: 0, count: 6)
        XCTAssertEqual(out.withUnsafeMutableBufferPointer { ring.read(into: $0) }, 4)
        XCTAssertEqual(out, [1, 2, 3, 4, 0, 0], "the oldest samples are kept; the tail of the buffer is untouched")
        XCTAssertEqual(ring.overrunCount, 2, "reading does not count")
    }

    func testReadingAnEmptyRingReturnsNothingAndLeavesTheBufferAlone() throws {
        let ring = try SampleRingBuffer(minimumCapacity: 16)
        var out: [Float] = [7, 7]
        XCTAssertEqual(out.withUnsafeMutableBufferPointer { ring.read(into: $0) }, 0)
        XCTAssertEqual(out, [7, 7])
        let empty: [Float] = []
        XCTAssertEqual(empty.withUnsafeBufferPointer { ring.write($0) }, 0)
        XCTAssertEqual(ring.overrunCount, 0)
    }

    func testDiscardAvailableDropsWhatIsStored() throws {
        let ring = try SampleRingBuffer(minimumCapacity: 16)
        let samples: [Float] = [1, 2, 3]
        samples.withUnsafeBufferPointer { _ = ring.write($0) }
        XCTAssertEqual(ring.discardAvailable(), 3)
        XCTAssertEqual(ring.availableToRead, 0)
        let more: [Float] = [4]
        more.withUnsafeBufferPointer { _ = ring.write($0) }
        var out: [Float] = [0]
        XCTAssertEqual(out.withUnsafeMutableBufferPointer { ring.read(into: $0) }, 1)
        XCTAssertEqual(out, [4])
    }

    /// One producer and one consumer thread hammer a small ring with chunks of varying size; every sample must
    /// arrive exactly once and in order. The samples are consecutive integers (exact in Float below 2^24).
    func testTwoThreadsPassEverySampleInOrder() throws {
        let total = 8_000_000
        let ring = try SampleRingBuffer(minimumCapacity: 256)
        let deadline = Date().addingTimeInterval(60)
        let producer = Thread {
            var chunk = [Float](repeating: 0, count: 97)
            var next = 0, size = 1
            while next < total && Date() < deadline {
                size = size % 97 + 1
                let count = min(size, total - next)
                for index in 0..<count { chunk[index] = Float(next + index) }
                let written = chunk.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                next += written
                if written < count { sched_yield() }
            }
        }
        producer.start()
        var out = [Float](repeating: 0, count: 61)
        var expected = 0, mismatches = 0, size = 1
        while expected < total && Date() < deadline {
            size = size % 61 + 1
            let read = out.withUnsafeMutableBufferPointer {
                ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<size]))
            }
            for offset in 0..<read where out[offset] != Float(expected + offset) { mismatches += 1 }
            expected += read
            if read == 0 { sched_yield() }
        }
        XCTAssertEqual(expected, total, "every sample arrived within 60 s")
        XCTAssertEqual(mismatches, 0, "samples arrived out of order or corrupted")
        // The producer outran the consumer at times (the ring is small), and those writes were short, which
        // the ring counts as overruns: proof that both the full and the empty paths were exercised.
        XCTAssertGreaterThan(ring.overrunCount, 0)
    }
}
