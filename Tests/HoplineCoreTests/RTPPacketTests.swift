import HoplineCore
import HoplineTestSupport
import XCTest

final class RTPPacketTests: XCTestCase {
    func testRoundTripPreservesEveryField() throws {
        let packet = RTPPacket(
            marker: true, payloadType: 111, sequenceNumber: 0xFFFF, timestamp: 0xFFFF_FF00, ssrc: 0xDEAD_BEEF,
            csrcs: [1, 2], headerExtension: .init(profile: 0xBEDE, data: [1, 2, 3, 4]), payload: [9, 8, 7])
        let bytes = packet.serialized()
        XCTAssertEqual(bytes.count, packet.serializedSize)
        XCTAssertEqual(try RTPPacket(parsing: bytes), packet)
    }

    func testWireLayoutMatchesRFC3550() {
        let packet = RTPPacket(marker: true, sequenceNumber: 0x1234, timestamp: 0x0102_0304, ssrc: 0x0A0B_0C0D, payload: [0xFC])
        XCTAssertEqual(
            packet.serialized(),
            [0x80, 0x80 | 111, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0xFC])
    }

    func testPaddingIsStripped() throws {
        var bytes = RTPPacket(sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: [0xAA, 0xBB]).serialized()
        bytes[0] |= 0x20
        bytes += [0, 0, 3]
        XCTAssertEqual(try RTPPacket(parsing: bytes).payload, [0xAA, 0xBB])
    }

    func testParsesFromASliceWithNonZeroStartIndex() throws {
        let bytes = [0xFF, 0xFF] + RTPPacket(sequenceNumber: 7, timestamp: 8, ssrc: 9, payload: [1]).serialized()
        let packet = try RTPPacket(parsing: bytes[2...])
        XCTAssertEqual(packet.sequenceNumber, 7)
        XCTAssertEqual(packet.payload, [1])
    }

    func testMalformedPacketsThrowSpecificErrors() {
        let valid = RTPPacket(sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: [1, 2, 3, 4]).serialized()
        func error(_ bytes: [UInt8]) -> RTPParseError? {
            do {
                _ = try RTPPacket(parsing: bytes)
                return nil
            } catch { return error }
        }
        XCTAssertEqual(error([]), .tooShort(length: 0))
        XCTAssertEqual(error(Array(valid.prefix(11))), .tooShort(length: 11))
        var version1 = valid
        version1[0] = 0x40
        XCTAssertEqual(error(version1), .unsupportedVersion(1))
        var csrcs = valid
        csrcs[0] = 0x85  // claims 5 CSRCs = 20 bytes, only 4 follow
        XCTAssertEqual(error(csrcs), .truncatedCSRCList(needed: 32, length: 16))
        var ext = valid
        ext[0] = 0x90  // extension header: 4 bytes present, claims 0x0304 words
        XCTAssertEqual(error(ext), .truncatedExtension(needed: 16 + 4 * 0x0304, length: 16))
        var padding = valid
        padding[0] |= 0x20
        padding[15] = 200
        XCTAssertEqual(error(padding), .invalidPadding(padding: 200, available: 4))
        var zeroPadding = valid
        zeroPadding[0] |= 0x20
        zeroPadding[15] = 0
        XCTAssertEqual(error(zeroPadding), .invalidPadding(padding: 0, available: 4))
        var rtcpType = valid
        rtcpType[1] = 72
        XCTAssertEqual(error(rtcpType), .payloadTypeOutOfRange(72))
    }

    func testRandomBytesNeverCrashTheParser() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<5_000 {
            let length = Int(generator.next() % 64)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            if let packet = try? RTPPacket(parsing: bytes) {
                XCTAssertLessThanOrEqual(packet.serializedSize, length)
            }
        }
    }
}

