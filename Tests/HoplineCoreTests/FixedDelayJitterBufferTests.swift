import HoplineCore
import XCTest

final class FixedDelayJitterBufferTests: XCTestCase {
    private let frame = 960  // 20 ms at 48 kHz

    private func packet(_ index: Int, ssrc: UInt32 = 1, baseSequence: UInt16 = 100, baseTimestamp: UInt32 = 5_000) -> RTPPacket {
        RTPPacket(
            sequenceNumber: baseSequence &+ UInt16(truncatingIfNeeded: index),
            timestamp: baseTimestamp &+ UInt32(truncatingIfNeeded: index * frame), ssrc: ssrc, payload: [UInt8(index & 0xFF)])
    }

    private func ms(_ value: Double) -> ClockInstant { .milliseconds(value) }

    /// Pulls operations every 20 ms from `start` and returns them, one per call.
    private func drain(_ buffer: inout FixedDelayJitterBuffer, from start: Double, count: Int) -> [PlayoutOperation] {
        (0..<count).map { step in buffer.nextOperation(now: ms(start + Double(step) * 20)) }
    }

    private func playedPayloads(_ operations: [PlayoutOperation]) -> [Int] {
        operations.compactMap { if case .normal(let buffered) = $0 { Int(buffered.packet.payload[0]) } else { nil } }
    }

    func testWaitsForTargetDelayThenPlaysInOrder() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 40)
        XCTAssertEqual(buffer.nextOperation(now: ms(0)), .waiting)
        XCTAssertEqual(buffer.insert(packet(0), duration: frame, arrival: ms(0)), .accepted)
        XCTAssertEqual(buffer.nextOperation(now: ms(39)), .waiting)
        XCTAssertEqual(buffer.insert(packet(1), duration: frame, arrival: ms(20)), .accepted)
        guard case .normal(let first) = buffer.nextOperation(now: ms(40)) else { return XCTFail("expected normal") }
        XCTAssertEqual(first.packet.sequenceNumber, 100)
        XCTAssertEqual(first.arrival, ms(0))
        guard case .normal(let second) = buffer.nextOperation(now: ms(60)) else { return XCTFail("expected normal") }
        XCTAssertEqual(second.packet.sequenceNumber, 101)
    }

    func testReordersPackets() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 60)
        for (arrival, index) in [2, 0, 1, 4, 3].enumerated() {
            _ = buffer.insert(packet(index), duration: frame, arrival: ms(Double(arrival)))
        }
        XCTAssertEqual(playedPayloads(drain(&buffer, from: 60, count: 5)), [0, 1, 2, 3, 4])
        XCTAssertEqual(buffer.statistics.played, 5)
    }

    func testDropsDuplicatesBeforeAndAfterPlayout() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        XCTAssertEqual(buffer.insert(packet(0), duration: frame, arrival: ms(0)), .accepted)
        XCTAssertEqual(buffer.insert(packet(0), duration: frame, arrival: ms(1)), .duplicate)
        _ = buffer.nextOperation(now: ms(0))
        XCTAssertEqual(buffer.insert(packet(0), duration: frame, arrival: ms(5)), .duplicate)
        XCTAssertEqual(buffer.statistics.duplicates, 2)
        XCTAssertEqual(buffer.statistics.late, 0)
    }

    func testConcealsAGapAndCountsTheLatePacket() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        _ = buffer.insert(packet(2), duration: frame, arrival: ms(40))
        let operations = drain(&buffer, from: 0, count: 3)
        XCTAssertEqual(playedPayloads(operations), [0, 2])
        XCTAssertEqual(operations[1], .conceal(samples: frame))
        XCTAssertEqual(buffer.insert(packet(1), duration: frame, arrival: ms(45)), .late)
        XCTAssertEqual(buffer.statistics.late, 1)
        XCTAssertEqual(buffer.statistics.concealed, 1)
    }

    func testUnderrunConcealsThenResumes() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        _ = buffer.nextOperation(now: ms(0))
        XCTAssertEqual(buffer.nextOperation(now: ms(20)), .conceal(samples: frame))
        XCTAssertEqual(buffer.statistics.concealed, 0, "not yet known whether this was a loss or a pause")
        _ = buffer.insert(packet(2), duration: frame, arrival: ms(39))
        XCTAssertEqual(playedPayloads([buffer.nextOperation(now: ms(40))]), [2])
        XCTAssertEqual(buffer.statistics.concealed, 1, "packet 1 is missing: the underrun was a loss")
        XCTAssertEqual(buffer.statistics.comfortNoise, 0)
    }

    func testUnderrunDuringDTXPauseCountsAsComfortNoise() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        _ = buffer.nextOperation(now: ms(0))
        for step in 1...3 { XCTAssertEqual(buffer.nextOperation(now: ms(Double(step) * 20)), .conceal(samples: frame)) }
        // Talk resumes: next sequence number, marker bit, timestamp 4 frames on.
        let resumed = RTPPacket(marker: true, sequenceNumber: 101, timestamp: 5_000 + UInt32(4 * frame), ssrc: 1, payload: [9])
        _ = buffer.insert(resumed, duration: frame, arrival: ms(80))
        XCTAssertEqual(playedPayloads([buffer.nextOperation(now: ms(80))]), [9])
        XCTAssertEqual(buffer.statistics.comfortNoise, 3)
        XCTAssertEqual(buffer.statistics.concealed, 0)
    }

    func testDTXPauseIsComfortNoiseNotLoss() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        // Next packet: sequence + 1 but timestamp 3 frames later (two frames not sent during silence).
        let resumed = RTPPacket(marker: true, sequenceNumber: 101, timestamp: 5_000 + UInt32(3 * frame), ssrc: 1, payload: [9])
        _ = buffer.insert(resumed, duration: frame, arrival: ms(60))
        let operations = drain(&buffer, from: 0, count: 4)
        XCTAssertEqual(operations[1], .comfortNoise(samples: frame))
        XCTAssertEqual(operations[2], .comfortNoise(samples: frame))
        XCTAssertEqual(playedPayloads(operations), [0, 9])
        XCTAssertEqual(buffer.statistics.concealed, 0)
        XCTAssertEqual(buffer.statistics.comfortNoise, 2)
    }

    func testSequenceAndTimestampWraparound() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 40)
        let baseTimestamp = UInt32.max - UInt32(2 * frame) + 1
        for index in [0, 2, 1, 3, 4, 5] {
            _ = buffer.insert(
                packet(index, baseSequence: 0xFFFD, baseTimestamp: baseTimestamp), duration: frame, arrival: ms(Double(index)))
        }
        let operations = drain(&buffer, from: 40, count: 6)
        XCTAssertEqual(playedPayloads(operations), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(buffer.statistics.concealed, 0)
    }

    func testNewSSRCRestartsTheStream() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        _ = buffer.nextOperation(now: ms(0))
        let other = RTPPacket(sequenceNumber: 7, timestamp: 1, ssrc: 2, payload: [77])
        XCTAssertEqual(buffer.insert(other, duration: frame, arrival: ms(20)), .acceptedNewStream)
        XCTAssertEqual(playedPayloads([buffer.nextOperation(now: ms(20))]), [77])
        XCTAssertEqual(buffer.statistics.streamResets, 1)
    }

    func testTimestampJumpFarAheadRestartsInsteadOfConcealingForever() {
        var buffer = FixedDelayJitterBuffer(targetDelayMilliseconds: 0, capacityMilliseconds: 1_000)
        _ = buffer.insert(packet(0), duration: frame, arrival: ms(0))
        _ = buffer.nextOperation(now: ms(0))
        let jumped = RTPPacket(sequenceNumber: 101, timestamp: 5_000 + 48_000 * 60, ssrc: 1, payload: [42])
        XCTAssertEqual(buffer.insert(jumped, duration: frame, arrival: ms(20)), .accepted)
        XCTAssertEqual(playedPayloads([buffer.nextOperation(now: ms(20))]), [42])
        XCTAssertEqual(buffer.statistics.streamResets, 1)
    }
}
