import HoplineCore
import XCTest

final class RTPSequenceTests: XCTestCase {
    func testNewerAcrossWraparound() {
        XCTAssertTrue(RTPSequence.isNewer(0, than: 0xFFFF))
        XCTAssertTrue(RTPSequence.isNewer(5, than: 0xFFF0))
        XCTAssertFalse(RTPSequence.isNewer(0xFFFF, than: 0))
        XCTAssertFalse(RTPSequence.isNewer(7, than: 7))
        XCTAssertTrue(RTPSequence.isNewer(100, than: 99))
    }

    func testHalfwayIsAntisymmetric() {
        XCTAssertNotEqual(RTPSequence.isNewer(0x8000, than: 0), RTPSequence.isNewer(0, than: 0x8000))
        XCTAssertNotEqual(
            RTPSequence.isNewer(timestamp: 0x8000_0000, than: 0), RTPSequence.isNewer(timestamp: 0, than: 0x8000_0000))
    }

    func testDistances() {
        XCTAssertEqual(RTPSequence.distance(from: 0xFFFE, to: 1), 3)
        XCTAssertEqual(RTPSequence.distance(from: 1, to: 0xFFFE), -3)
        XCTAssertEqual(RTPSequence.distance(fromTimestamp: 0xFFFF_FC40, to: 0x3C0), 1_920)
    }

    func testSequenceUnwrapperHandlesWrapAndReordering() {
        var unwrapper = SequenceUnwrapper()
        XCTAssertEqual(unwrapper.unwrap(0xFFFE), 0xFFFE)
        XCTAssertEqual(unwrapper.unwrap(0x0000), 0x10000)
        XCTAssertEqual(unwrapper.unwrap(0xFFFF), 0xFFFF)  // late, before the wrap
        XCTAssertEqual(unwrapper.unwrap(0x0001), 0x10001)
        // Many laps keep counting up.
        var value: UInt16 = 1
        var last: Int64 = 0
        for _ in 0..<200_000 {
            value &+= 1
            last = unwrapper.unwrap(value)
        }
        XCTAssertEqual(last, 0x10001 + 200_000)
    }

    func testTimestampUnwrapperHandlesWrap() {
        var unwrapper = TimestampUnwrapper()
        XCTAssertEqual(unwrapper.unwrap(0xFFFF_FC40), 0xFFFF_FC40)
        XCTAssertEqual(unwrapper.unwrap(0x0000_0000), 0x1_0000_0000)
        XCTAssertEqual(unwrapper.unwrap(0xFFFF_FC40), 0xFFFF_FC40)
    }
}
