import HoplineCore
import XCTest

final class RTCPPacketTests: XCTestCase {
    func testSenderAndReceiverReportsRoundTrip() throws {
        let sr = RTCPPacket.senderReport(.init(ssrc: 1, ntpTimestamp: 0x0102_0304_0506_0708, rtpTimestamp: 9, packetCount: 10, octetCount: 11))
        XCTAssertEqual(try RTCPPacket(parsing: sr.serialized()), sr)
        XCTAssertEqual(sr.serialized().count, 28)
        let block = RTCPPacket.ReportBlock(
            sourceSSRC: 7, fractionLost: 25, cumulativeLost: -3, extendedHighestSequence: 0x1_0005, jitter: 480,
            lastSenderReport: 0x0304_0506, delaySinceLastSenderReport: 65_536)
        let rr = RTCPPacket.receiverReport(.init(ssrc: 2, blocks: [block]))
        XCTAssertEqual(try RTCPPacket(parsing: rr.serialized()), rr)
        XCTAssertTrue(RTCPPacket.isRTCP(rr.serialized()))
        XCTAssertFalse(RTCPPacket.isRTCP(RTPPacket(marker: true, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: [1]).serialized()))
    }

    func testMalformedReportsAreRejected() {
        XCTAssertThrowsError(try RTCPPacket(parsing: [0x80, 200, 0, 6])) { XCTAssertEqual($0 as? RTCPParseError, .tooShort(length: 4)) }
        var truncated = RTCPPacket.receiverReport(.init(ssrc: 2, blocks: [])).serialized()
        truncated[0] |= 2  // claims two blocks
        XCTAssertThrowsError(try RTCPPacket(parsing: truncated))
        XCTAssertThrowsError(try RTCPPacket(parsing: [0x80, 203, 0, 1, 0, 0, 0, 1])) {
            XCTAssertEqual($0 as? RTCPParseError, .unsupportedType(203))
        }
    }

    func testReportBlockCountsIntervalLossAndEchoesTheSenderReport() {
        var stats = ReceptionStatistics()
        for sequence: UInt16 in [10, 11, 13, 14] {
            stats.record(RTPPacket(sequenceNumber: sequence, timestamp: 0, ssrc: 9, payload: [1]), payloadBytes: 1, arrival: .zero)
        }
        stats.noteSenderReport(ntpTimestamp: 0x0000_0005_8000_0000, arrival: .milliseconds(1_000))
        let first = stats.makeReportBlock(now: .milliseconds(1_500))
        XCTAssertEqual(first.sourceSSRC, 9)
        XCTAssertEqual(first.cumulativeLost, 1)
        XCTAssertEqual(first.fractionLost, 51)  // 1 of 5 = 0.2 * 256
        XCTAssertEqual(first.lastSenderReport, 0x0005_8000)
        XCTAssertEqual(first.delaySinceLastSenderReport, 32_768)  // 0.5 s in 1/65536 s
        let second = stats.makeReportBlock(now: .milliseconds(2_000))
        XCTAssertEqual(second.fractionLost, 0, "nothing new lost since the previous report")
    }

    func testEModel() {
        XCTAssertEqual(EModel.meanOpinionScore(oneWayDelayMilliseconds: 0, lossPercent: 0), 4.41, accuracy: 0.01)
        XCTAssertGreaterThan(
            EModel.meanOpinionScore(oneWayDelayMilliseconds: 50, lossPercent: 0),
            EModel.meanOpinionScore(oneWayDelayMilliseconds: 300, lossPercent: 0))
        XCTAssertGreaterThan(
            EModel.meanOpinionScore(oneWayDelayMilliseconds: 50, lossPercent: 1),
            EModel.meanOpinionScore(oneWayDelayMilliseconds: 50, lossPercent: 10))
        XCTAssertEqual(EModel.meanOpinionScore(rating: 0), 1)
    }
}
