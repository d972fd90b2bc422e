import Dispatch
import HoplineDiscovery
import HoplineNet
import XCTest

/// Real OpenDHT runners on loopback: puts, gets, listens, the value-size check and clean shutdown.
final class DHTRunnerTests: XCTestCase {
    func testTwoRunnersPutGetAndListen() throws {
        let first = try DHTRunner(settings: DHTSettings())
        let second = try DHTRunner(settings: DHTSettings(bootstrap: [DHTBootstrapNode(host: "127.0.0.1", port: first.boundPort)]))
        XCTAssertEqual(second.bootstrapAndWait(DHTBootstrapNode(host: "127.0.0.1", port: first.boundPort), timeoutSeconds: 5), true)
        let key = DHTKey(label: "test", subject: [1, 2, 3])
        let listen = try first.listen(key)
        XCTAssertEqual(try second.putAndWait([9, 8, 7], at: key, timeoutSeconds: 5), true)
        let found = try first.getAll(key, timeoutSeconds: 5)
        XCTAssertTrue(found.done)
        XCTAssertEqual(found.values, [[9, 8, 7]])
        // The listen saw it too (its events were kept aside while getAll waited).
        let deadline = DispatchTime.now() + 5
        var heard = false
        while !heard, DispatchTime.now() < deadline {
            for event in first.events.waitAndDrain(timeoutNanoseconds: 100_000_000) {
                if case .listened(listen, [9, 8, 7], false) = event { heard = true }
            }
        }
        XCTAssertTrue(heard)
        // Each knows the other; the value is stored on (at least) one of them.
        let stats = try XCTUnwrap(first.statistics), other = try XCTUnwrap(second.statistics)
        XCTAssertGreaterThanOrEqual(stats.knownNodes, 1)
        XCTAssertGreaterThanOrEqual(other.knownNodes, 1)
        XCTAssertGreaterThanOrEqual(stats.storedValues + other.storedValues, 1)
        first.cancelListen(listen)
        second.shutdown()
        first.shutdown()
        XCTAssertFalse(first.isRunning)
        XCTAssertNil(first.statistics)
        XCTAssertThrowsError(try first.get(key)) { XCTAssertEqual($0 as? DHTError, .stopped) }
    }

    func testAValueOverTheLimitIsRefusedBeforeThePut() throws {
        let runner = try DHTRunner(settings: DHTSettings())
        let start = DispatchTime.now()
        XCTAssertThrowsError(try runner.put([UInt8](repeating: 1, count: 64 * 1024), at: DHTKey(label: "big"))) { error in
            XCTAssertEqual(error as? DHTError, .valueTooLarge(bytes: 65_536, limit: DHTRunner.maximumValueBytes))
        }
        XCTAssertLessThan(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, 0.5)
    }
}
