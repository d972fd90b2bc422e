import HoplineCore
import XCTest

final class StatisticsTests: XCTestCase {
    func testReceptionCountsLossAcrossWraparound() {
        var stats = ReceptionStatistics()
        for sequence: UInt16 in [0xFFFE, 0xFFFF, 1, 2] {  // 0 is lost
            let packet = RTPPacket(sequenceNumber: sequence, timestamp: 0, ssrc: 1, payload: [1])
            stats.record(packet, payloadBytes: 1, arrival: .zero)
        }
        XCTAssertEqual(stats.packetsExpected, 5)
        XCTAssertEqual(stats.cumulativeLost, 1)
    }

    func testInterarrivalJitterFollowsRFC3550() {
        var stats = ReceptionStatistics()
        // Packets every 20 ms of media time; arrivals alternate 0 and +10 ms late.
        for index in 0..<400 {
            let packet = RTPPacket(sequenceNumber: UInt16(index), timestamp: UInt32(index * 960), ssrc: 1, payload: [1])
            let arrival = ClockInstant.milliseconds(Double(index) * 20 + (index % 2 == 0 ? 0 : 10))
            stats.record(packet, payloadBytes: 1, arrival: arrival)
        }
        // |D| is always 10 ms, so J converges to 10 ms.
        XCTAssertEqual(stats.jitterMilliseconds, 10, accuracy: 0.1)
    }

    func testDelaySummaryPercentiles() {
        var summary = DelaySummary()
        for value in 1...100 { summary.add(Double(value)) }
        XCTAssertEqual(summary.mean, 50.5)
        XCTAssertEqual(summary.percentile(95), 95)
        XCTAssertEqual(summary.percentile(100), 100)
        XCTAssertEqual(summary.maximum, 100)
        XCTAssertEqual(DelaySummary().percentile(95), 0)
    }

    func testVirtualClockOnlyMovesForward() {
        let clock = VirtualClock()
        clock.sleep(until: .milliseconds(5))
        clock.sleep(until: .milliseconds(2))
        XCTAssertEqual(clock.now(), .milliseconds(5))
        clock.advance(byNanoseconds: 1_000_000)
        XCTAssertEqual(clock.now(), .milliseconds(6))
    }
}
