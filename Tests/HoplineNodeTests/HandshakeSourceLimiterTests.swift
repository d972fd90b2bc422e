import HoplineCore
@testable import HoplineNode
import XCTest

/// The per-source cap on the message 1s a flooded node looks at, on an injected clock.
final class HandshakeSourceLimiterTests: XCTestCase {
    func testEachSourceGetsItsMessagesPerSecondWindowAndTheTableStaysBounded() {
        var limiter = HandshakeSourceLimiter<Int>(perSecond: 4, capacity: 3)
        let start = ClockInstant(nanoseconds: 5_000_000_000)
        XCTAssertEqual((0..<6).map { _ in limiter.allow(1, at: start) }, [true, true, true, true, false, false])
        XCTAssertTrue(limiter.allow(2, at: start.advanced(byMilliseconds: 10)), "sources are counted apart")
        XCTAssertFalse(limiter.allow(1, at: start.advanced(byMilliseconds: 999.9)))
        XCTAssertTrue(limiter.allow(1, at: start.advanced(byMilliseconds: 1_000)), "a new window")
        // Window 2 holds sources 1, 2, 3; a fourth is answered without being recorded (never limited).
        let later = start.advanced(byMilliseconds: 1_000)
        XCTAssertTrue(limiter.allow(2, at: later))
        XCTAssertTrue(limiter.allow(3, at: later))
        XCTAssertEqual((0..<6).map { _ in limiter.allow(4, at: later) }, [true, true, true, true, true, true])
    }
}
