import HoplineCodec
import HoplineCore
import HoplineMedia
import XCTest

/// RED (RFC 2198) from `MediaSender` to `MediaReceiver` with real libopus, on a virtual clock.
final class REDMediaTests: XCTestCase {
    private func speechLike(frames: Int) -> [[Float]] {
        (0..<frames).map { frame in
            (0..<960).map { index in
                let t = Float(frame * 960 + index) / 48_000
                return 0.3 * sin(2 * .pi * 220 * t) * (0.5 + 0.5 * sin(2 * .pi * 2 * t))
            }
        }
    }

    /// A receiver report about `ssrc` with `percent` loss.
    private func report(about ssrc: UInt32, lossPercent percent: Int) -> [UInt8] {
        RTCPPacket.receiverReport(
            .init(
                ssrc: 99,
                blocks: [
                    .init(
                        sourceSSRC: ssrc, fractionLost: UInt8(percent * 256 / 100), cumulativeLost: 0, extendedHighestSequence: 0,
                        jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)
                ])
        ).serialized()
    }

    private func redSender(ssrc: UInt32 = 3) throws -> MediaSender {
        try MediaSender(settings: OpusSettings(), ssrc: ssrc, initialSequence: 0xFFFF, initialTimestamp: 0xFFFF_FC40, redPayloadType: REDPayload.payloadType)
    }

    func testRedundancyFollowsReportedLossAndIsZeroOnACleanPath() throws {
        let sender = try redSender()
        let frames = speechLike(frames: 40)
        var packets: [RTPPacket] = []
        func send(_ range: Range<Int>) throws {
            for frame in frames[range] {
                if let packet = try frame.withUnsafeBufferPointer({ try sender.packetize(frame: $0) }) { packets.append(packet) }
            }
        }
        try send(0..<5)
        sender.handleRTCP(report(about: 3, lossPercent: 0), now: .milliseconds(100))
        try send(5..<10)
        XCTAssertTrue(packets.allSatisfy { $0.payloadType == RTPPacket.opusPayloadType }, "clean path: plain Opus")
        XCTAssertEqual(sender.statistics.redundancyBytesSent, 0)

        sender.handleRTCP(report(about: 3, lossPercent: 10), now: .milliseconds(200))
        XCTAssertEqual(sender.adaptation.redundancyDistance, 2)
        XCTAssertEqual(sender.adaptation.current.expectedLossPercent, 1, "FEC planned for 1 % while RED carries copies")
        try send(10..<20)
        let red = Array(packets[10..<20])
        XCTAssertTrue(red.allSatisfy { $0.payloadType == REDPayload.payloadType })
        // Each carries the two packets sent before it, byte for byte, at their timestamp offsets.
        for (index, packet) in red.enumerated() {
            let payload = try REDPayload(parsing: packet.payload)
            XCTAssertEqual(payload.redundant.count, 2)
            let previous = packets[10 + index - 1], beforeThat = packets[10 + index - 2]
            func opus(_ packet: RTPPacket) throws -> [UInt8] {
                packet.payloadType == RTPPacket.opusPayloadType ? packet.payload : try REDPayload(parsing: packet.payload).primary
            }
            XCTAssertEqual(payload.redundant[1].payload, try opus(previous))
            XCTAssertEqual(payload.redundant[0].payload, try opus(beforeThat))
            XCTAssertEqual(payload.redundant[1].timestampOffset, 960)
            XCTAssertEqual(payload.redundant[0].timestampOffset, 1_920)
            XCTAssertEqual(packet.sequenceNumber, previous.sequenceNumber &+ 1)
        }
        XCTAssertEqual(sender.statistics.redPacketsSent, 10)
        let overhead = sender.statistics.redundancyBytesSent
        XCTAssertGreaterThan(overhead, 0)

        // Clean reports bring the smoothed loss down below 0.5 %: plain again, no more overhead.
        for report in 0..<30 { sender.handleRTCP(self.report(about: 3, lossPercent: 0), now: .milliseconds(300 + Double(report))) }
        XCTAssertEqual(sender.adaptation.redundancyDistance, 0)
        try send(20..<30)
        XCTAssertTrue(packets[20..<30].allSatisfy { $0.payloadType == RTPPacket.opusPayloadType })
        XCTAssertEqual(sender.statistics.redundancyBytesSent, overhead)
    }

    func testASenderWhosePeerDidNotOfferREDNeverSendsIt() throws {
        let sender = try MediaSender(settings: OpusSettings(), ssrc: 3, initialSequence: 0, initialTimestamp: 0)
        sender.handleRTCP(report(about: 3, lossPercent: 25), now: .milliseconds(100))
        for frame in speechLike(frames: 10) {
            let packet = try frame.withUnsafeBufferPointer { try sender.packetize(frame: $0) }
            XCTAssertEqual(packet?.payloadType, RTPPacket.opusPayloadType)
        }
        XCTAssertEqual(sender.statistics.redundancyBytesSent, 0)
        XCTAssertEqual(sender.adaptation.redundancyDistance, 0)
        XCTAssertEqual(sender.adaptation.current.expectedLossPercent, 20, "without RED, FEC planned for the loss")
    }

    /// Sends `frames` frames with RED on (after a lossy report), drops the packets `drop` says, delivers the
    /// rest in `order`, and renders; returns the receiver.
    private func deliver(
        frames count: Int, drop: (Int) -> Bool, receiverRED: Bool = true, senderRED: Bool = true,
        reorder: [Int: Int] = [:], jitterBuffer: any JitterBuffer = AdaptiveJitterBuffer()
    ) throws -> MediaReceiver {
        let sender = senderRED ? try redSender() : try MediaSender(settings: OpusSettings(), ssrc: 3, initialSequence: 0xFFFF, initialTimestamp: 0)
        sender.handleRTCP(report(about: 3, lossPercent: 10), now: .zero)
        let receiver = try MediaReceiver(
            jitterBuffer: jitterBuffer, redPayloadType: receiverRED ? REDPayload.payloadType : nil, recordsPlayout: true)
        var schedule: [(time: Double, bytes: [UInt8])] = []
        for (index, frame) in speechLike(frames: count).enumerated() {
            guard let packet = try frame.withUnsafeBufferPointer({ try sender.packetize(frame: $0) }), !drop(index) else { continue }
            schedule.append((Double(index) * 20 + Double(reorder[index] ?? 0), packet.serialized()))
        }
        schedule.sort { $0.time < $1.time }
        var chunk = [Float](repeating: 0, count: 480)
        var next = 0
        for tick in 0..<(count * 2 + 20) {
            let now = ClockInstant.milliseconds(Double(tick) * 10)
            while next < schedule.count && schedule[next].time <= now.milliseconds {
                receiver.ingest(schedule[next].bytes, arrival: now)
                next += 1
            }
            chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: now) }
        }
        return receiver
    }

    func testREDRebuildsBurstsOfTwoThatFECAloneCannot() throws {
        // Bursts of two every 25 packets from packet 20 on.
        let burst: (Int) -> Bool = { $0 >= 20 && ($0 - 20) % 25 < 2 }
        let withRED = try deliver(frames: 200, drop: burst)
        let fecOnly = try deliver(frames: 200, drop: burst, receiverRED: false, senderRED: false)
        let lostFECOnly = fecOnly.jitterStatistics.concealed + fecOnly.counters.fecUnavailable
        XCTAssertGreaterThanOrEqual(lostFECOnly, 7, "FEC rebuilds one frame of each burst of two at best")
        XCTAssertGreaterThan(withRED.jitterStatistics.burstCopiesUsed, 5, "\(withRED.jitterStatistics)")
        XCTAssertLessThanOrEqual(withRED.jitterStatistics.concealed + withRED.counters.fecUnavailable, 2, "\(withRED.jitterStatistics)")
        XCTAssertGreaterThan(withRED.counters.redundancyBytesReceived, 0)
        // Every frame plays once, in order.
        let stamps = withRED.playoutLog.map(\.extendedTimestamp)
        XCTAssertEqual(stamps, stamps.sorted())
        XCTAssertEqual(Set(stamps).count, stamps.count)
        XCTAssertEqual(withRED.reception.packetsReceived, 200 - 16, "RFC 3550 loss counts primaries only")
        XCTAssertEqual(withRED.reception.cumulativeLost, 16)
    }

    func testTheFixedBufferTakesCopiesTooWithinItsDelay() throws {
        let burst: (Int) -> Bool = { $0 >= 20 && ($0 - 20) % 25 < 2 }
        let receiver = try deliver(frames: 200, drop: burst, jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 60))
        XCTAssertEqual(receiver.jitterStatistics.redundantCopiesUsed, 16, "every lost frame from a copy")
        XCTAssertEqual(receiver.jitterStatistics.burstCopiesUsed, 8, "the first of each burst of two, two packets later")
        XCTAssertEqual(receiver.jitterStatistics.concealed, 0)
        XCTAssertEqual(receiver.jitterStatistics.duplicates, 0)
        XCTAssertEqual(receiver.jitterStatistics.late, 0)
        XCTAssertEqual(receiver.counters.framesDecoded, 200)
    }

    func testReorderedAndDuplicatedREDPacketsPlayEachFrameOnce() throws {
        // Packet 30 comes 50 ms late (after the copies in 31 and 32); packet 50 after 51.
        let receiver = try deliver(frames: 100, drop: { _ in false }, reorder: [30: 50, 50: 25])
        let stamps = receiver.playoutLog.map(\.extendedTimestamp)
        XCTAssertEqual(Set(stamps).count, stamps.count, "no frame played twice")
        XCTAssertEqual(stamps, stamps.sorted())
        XCTAssertGreaterThanOrEqual(receiver.jitterStatistics.redundantCopiesUsed, 1)
        XCTAssertEqual(receiver.jitterStatistics.duplicates, 2, "both late primaries came after a copy and were dropped")
    }

    func testMalformedREDIsCountedAndDroppedAndREDWithoutNegotiationIsUnexpected() throws {
        let receiver = try MediaReceiver(jitterBuffer: AdaptiveJitterBuffer(), redPayloadType: REDPayload.payloadType)
        func red(_ payload: [UInt8]) -> [UInt8] {
            RTPPacket(payloadType: REDPayload.payloadType, sequenceNumber: 5, timestamp: 9_600, ssrc: 1, payload: payload).serialized()
        }
        receiver.ingest(red([0xEF, 0x0F, 0x00, 0x09, 111, 1]), arrival: .zero)  // block runs past the end
        receiver.ingest(red([0xEF, 0x0F, 0x00, 0x01, 0, 0xFC, 0xFC]), arrival: .zero)  // primary PT 0, not Opus
        receiver.ingest(red([0xEF, 0x0F, 0x00, 0x02, 111, 0x03, 0x00, 0xFC]), arrival: .zero)  // undecodable copy
        XCTAssertEqual(receiver.counters.malformedRED, 3)
        XCTAssertEqual(receiver.jitterStatistics.inserted, 0)
        XCTAssertEqual(receiver.reception.packetsReceived, 0)
        receiver.ingest(red([0xEF, 0x0F, 0x00, 0x01, 111, 0xFC, 0xFC]), arrival: .zero)
        XCTAssertEqual(receiver.counters.redPacketsReceived, 1)
        XCTAssertEqual(receiver.jitterStatistics.inserted, 1)
        XCTAssertEqual(receiver.jitterStatistics.redundantCopiesUsed, 1)

        let plain = try MediaReceiver(jitterBuffer: AdaptiveJitterBuffer())
        plain.ingest(red([0xEF, 0x0F, 0x00, 0x01, 111, 0xFC, 0xFC]), arrival: .zero)
        XCTAssertEqual(plain.counters.unexpectedPayloadType, 1)
        XCTAssertEqual(plain.jitterStatistics.inserted, 0)
    }
}
