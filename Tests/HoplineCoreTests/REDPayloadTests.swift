import HoplineCore
import XCTest

final class REDPayloadTests: XCTestCase {
    func testRoundTripAndWireLayoutFollowRFC2198() throws {
        let red = REDPayload(
            redundant: [
                .init(payloadType: 111, timestampOffset: 1_920, payload: [1, 2, 3]),
                .init(payloadType: 111, timestampOffset: 960, payload: [4, 5]),
            ],
            primaryPayloadType: 111, primary: [6, 7, 8, 9])
        let bytes = red.serialized()
        // F=1 | PT 111; offset 1920 (14 bits) << 10 | length 3 (10 bits) = 0x1E0003.
        XCTAssertEqual(Array(bytes[0..<4]), [0x80 | 111, 0x1E, 0x00, 0x03])
        XCTAssertEqual(Array(bytes[4..<8]), [0x80 | 111, 0x0F, 0x00, 0x02])
        XCTAssertEqual(bytes[8], 111, "F=0 primary header")
        XCTAssertEqual(Array(bytes[9...]), [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(red.overheadBytes, 1 + 4 + 3 + 4 + 2)
        XCTAssertEqual(try REDPayload(parsing: bytes), red)
    }

    func testAREDPacketOnTheWireIsTheFuzzSeed() throws {
        // The same packet as `Fuzz/corpus/rtp/seed-3` (FuzzSeeds.redPacket).
        let red = REDPayload(
            redundant: [
                .init(payloadType: 111, timestampOffset: 1_920, payload: [0xF8, 1]),
                .init(payloadType: 111, timestampOffset: 960, payload: [0xF8, 2]),
            ],
            primaryPayloadType: 111, primary: [0xF8, 3])
        let packet = RTPPacket(payloadType: REDPayload.payloadType, sequenceNumber: 2, timestamp: 2_880, ssrc: 0x1234_5678, payload: red.serialized())
        let wire: [UInt8] = [
            0x80, 0x3F, 0, 2, 0, 0, 0x0B, 0x40, 0x12, 0x34, 0x56, 0x78, 0xEF, 0x1E, 0, 2, 0xEF, 0x0F, 0, 2, 0x6F, 0xF8, 1, 0xF8, 2, 0xF8, 3,
        ]
        XCTAssertEqual(packet.serialized(), wire)
        XCTAssertEqual(try REDPayload(parsing: try RTPPacket(parsing: wire).payload), red)
    }

    func testPrimaryOnlyRoundTrips() throws {
        let red = REDPayload(redundant: [], primaryPayloadType: 111, primary: [0xFC, 0xFF])
        XCTAssertEqual(red.serialized(), [111, 0xFC, 0xFF])
        XCTAssertEqual(try REDPayload(parsing: red.serialized()), red)
    }

    func testMalformedPayloadsGetSpecificErrors() {
        func error(_ bytes: [UInt8]) -> REDParseError? {
            do {
                _ = try REDPayload(parsing: bytes)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(error([]), .truncatedHeaders(length: 0))
        XCTAssertEqual(error([0x80 | 111, 0x0F, 0x00]), .truncatedHeaders(length: 3))
        XCTAssertEqual(error([0x80 | 111, 0x0F, 0x00, 0x01]), .truncatedHeaders(length: 4), "no primary header")
        // Three redundant blocks: more than Hopline sends or takes.
        let three: [UInt8] = [0xEF, 0x2D, 0x00, 0x00, 0xEF, 0x1E, 0x00, 0x00, 0xEF, 0x0F, 0x00, 0x00, 111, 1]
        XCTAssertEqual(error(three), .tooManyBlocks(limit: 2))
        XCTAssertEqual(error([0xEF, 0x0F, 0x00, 0x00, 0xEF, 0x0F, 0x00, 0x00, 111, 1]), .offsetsNotDecreasing)
        XCTAssertEqual(error([0xEF, 0x00, 0x00, 0x00, 111, 1]), .offsetsNotDecreasing, "offset 0 is the primary's own time")
        XCTAssertEqual(error([0xEF, 0x0F, 0x00, 0x05, 111, 1, 2]), .truncatedBlocks(needed: 10, length: 7))
        XCTAssertEqual(error([0xEF, 0x0F, 0x00, 0x02, 111, 1, 2]), .emptyPrimary)
        XCTAssertEqual(error([111]), .emptyPrimary)
    }
}
