import HoplineCodec
import HoplineCore
import HoplineMedia
import XCTest

final class SenderAdaptationTests: XCTestCase {
    private func block(fraction: UInt8, lsr: UInt32 = 0, dlsr: UInt32 = 0) -> RTCPPacket.ReportBlock {
        RTCPPacket.ReportBlock(
            sourceSSRC: 1, fractionLost: fraction, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0,
            lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }

    func testPlansFECForTheMeasuredLossAndBacksOffUnderHeavyLoss() {
        var adaptation = SenderAdaptation(base: OpusSettings(bitrate: 32_000, expectedLossPercent: 5))
        XCTAssertEqual(adaptation.receive(block(fraction: 20), nowNTP: 0)?.expectedLossPercent, nil, "7.8 % stays in the 5 % bucket")
        XCTAssertEqual(adaptation.receive(block(fraction: 60), nowNTP: 0)?.expectedLossPercent, 10)  // mean of the two: 15.6 %
        for _ in 0..<10 { _ = adaptation.receive(block(fraction: 77), nowNTP: 0) }  // 30 %
        XCTAssertEqual(adaptation.current.bitrate, 24_000, "75 % of the base above 15 % loss")
        for _ in 0..<10 { _ = adaptation.receive(block(fraction: 0), nowNTP: 0) }
        XCTAssertEqual(adaptation.current.bitrate, 24_000, "the smoothed loss (5.6 %) comes down slowly")
        XCTAssertEqual(adaptation.current.expectedLossPercent, 5)
        for _ in 0..<15 { _ = adaptation.receive(block(fraction: 0), nowNTP: 0) }
        XCTAssertEqual(adaptation.current.bitrate, 32_000, "back to the base once loss is under 5 %")
        XCTAssertEqual(adaptation.current.expectedLossPercent, 0, "no FEC bits on a clean path")
        XCTAssertTrue(adaptation.current.forwardErrorCorrection)
    }

    func testAShortFirstReportDoesNotCutTheBitrate() {
        var adaptation = SenderAdaptation(base: OpusSettings(bitrate: 32_000, expectedLossPercent: 5))
        // 250 ms in, two of a dozen packets lost: 20 %, but too few reports to call it congestion.
        XCTAssertEqual(adaptation.receive(block(fraction: 51), nowNTP: 0)?.bitrate, 32_000, "FEC planned up, bitrate kept")
        XCTAssertEqual(adaptation.current.expectedLossPercent, 10)
        _ = adaptation.receive(block(fraction: 13), nowNTP: 0)
        _ = adaptation.receive(block(fraction: 13), nowNTP: 0)
        XCTAssertEqual(adaptation.current.bitrate, 32_000, "the mean of three reports (10 %) is not heavy loss")
        XCTAssertEqual(adaptation.current.expectedLossPercent, 10)
    }

    func testPlannedLossBucketsWithHysteresis() {
        let cases: [(loss: Double, previous: Int, planned: Int)] = [
            (0, 5, 0), (0.009, 0, 0), (0.01, 0, 1), (0.049, 1, 1), (0.05, 1, 5), (0.045, 5, 5), (0.039, 5, 1),
            (0.099, 5, 5), (0.10, 5, 10), (0.095, 10, 10), (0.089, 10, 5), (0.199, 10, 10), (0.20, 10, 20),
            (0.185, 20, 20), (0.179, 20, 10), (0.9, 0, 20),
        ]
        for (loss, previous, planned) in cases {
            XCTAssertEqual(
                SenderAdaptation.plannedLossPercent(smoothedLoss: loss, previous: previous), planned,
                "\(loss * 100) % smoothed after \(previous) % planned")
        }
    }

    func testRoundTripTimeFromTheEchoedSenderReport() {
        var adaptation = SenderAdaptation(base: OpusSettings())
        let sent = SenderAdaptation.ntpTimestamp(.milliseconds(10_000))
        let now = SenderAdaptation.ntpTimestamp(.milliseconds(10_250))
        // The receiver held the report 200 ms: 50 ms of round trip is left.
        _ = adaptation.receive(
            block(fraction: 0, lsr: UInt32(truncatingIfNeeded: sent >> 16), dlsr: 13_107), nowNTP: now)
        XCTAssertEqual(adaptation.roundTripMilliseconds ?? 0, 50, accuracy: 0.1)
    }
}
