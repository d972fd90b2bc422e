import HoplineCodec
import HoplineCore
import HoplineMedia
import XCTest

final class MediaPipelineTests: XCTestCase {
    private func speechLike(frames: Int, silentFrom: Int? = nil) -> [[Float]] {
        (0..<frames).map { frame in
            (0..<960).map { index in
                if let silentFrom, frame >= silentFrom { return 0 }
                let t = Float(frame * 960 + index) / 48_000
                return 0.3 * sin(2 * .pi * 220 * t) * (0.5 + 0.5 * sin(2 * .pi * 2 * t))
            }
        }
    }

    func testSenderNumbersPacketsAndMarksTalkspurts() throws {
        let sender = try MediaSender(
            settings: OpusSettings(discontinuousTransmission: true), ssrc: 9, initialSequence: 0xFFFF,
            initialTimestamp: 0xFFFF_FFFF - 959)
        var packets: [RTPPacket] = []
        for frame in speechLike(frames: 60, silentFrom: 10) {
            if let packet = try frame.withUnsafeBufferPointer({ try sender.packetize(frame: $0) }) { packets.append(packet) }
        }
        XCTAssertEqual(packets.first?.marker, true)
        XCTAssertEqual(packets.first?.sequenceNumber, 0xFFFF)
        XCTAssertEqual(packets.dropFirst().first?.sequenceNumber, 0)  // wrapped
        XCTAssertEqual(packets.dropFirst().first?.timestamp, 0)
        XCTAssertEqual(packets[1...9].filter(\.marker).count, 0)
        XCTAssertGreaterThan(sender.statistics.framesSuppressedByDTX, 20, "silence must not be sent with DTX")
        XCTAssertEqual(sender.statistics.framesEncoded, 60)
        XCTAssertEqual(sender.statistics.packetsSent + sender.statistics.framesSuppressedByDTX, 60)
        // Consecutive sequence numbers throughout: DTX gaps show only in timestamps.
        for (previous, next) in zip(packets, packets.dropFirst()) {
            XCTAssertEqual(next.sequenceNumber, previous.sequenceNumber &+ 1)
        }
    }

    func testReceiverCountsAndDropsBadDatagrams() throws {
        let receiver = try MediaReceiver(jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 0))
        receiver.ingest([1, 2, 3], arrival: .zero)
        receiver.ingest(RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: [0xFC]).serialized(), arrival: .zero)
        receiver.ingest(RTPPacket(sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: [0x03, 0x00]).serialized(), arrival: .zero)
        XCTAssertEqual(receiver.counters.malformed, 1)
        XCTAssertEqual(receiver.counters.unexpectedPayloadType, 1)
        XCTAssertEqual(receiver.counters.undecodable, 1)
        var chunk = [Float](repeating: 1, count: 480)
        chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: .zero) }
        XCTAssertEqual(chunk, [Float](repeating: 0, count: 480), "nothing valid arrived: silence")
        XCTAssertEqual(receiver.counters.silentChunks, 1)
    }

    func testSenderToReceiverReproducesTheAudioAndConcealsALoss() throws {
        let sender = try MediaSender(settings: OpusSettings(), ssrc: 1, initialSequence: 10, initialTimestamp: 0)
        let receiver = try MediaReceiver(jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 0), recordsPlayout: true)
        var chunk = [Float](repeating: 0, count: 480)
        var rendered: [Float] = []
        for (index, frame) in speechLike(frames: 50).enumerated() {
            let now = ClockInstant.milliseconds(Double(index) * 20)
            if let packet = try frame.withUnsafeBufferPointer({ try sender.packetize(frame: $0) }), index != 25 {
                receiver.ingest(packet.serialized(), arrival: now)
            }
            for half in 0..<2 {
                chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: now.advanced(byMilliseconds: Double(half) * 10)) }
                rendered += chunk
            }
        }
        XCTAssertEqual(receiver.jitterStatistics.concealed, 1)
        XCTAssertEqual(receiver.counters.framesDecoded, 49)
        XCTAssertEqual(receiver.playoutLog.count, 49)
        XCTAssertEqual(receiver.reception.cumulativeLost, 1)
        XCTAssertEqual(receiver.playoutLog.first?.outputSampleIndex, 0)
        XCTAssertEqual(receiver.bufferDelay.maximum, 0, "target 0 on a clean path plays each packet on arrival")
        let energy = rendered[20_000..<40_000].reduce(0) { $0 + $1 * $1 }
        XCTAssertGreaterThan(energy, 100, "decoded audio, not silence")
    }
}
