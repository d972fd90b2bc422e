import HoplineCore
import XCTest

final class DelayEstimatorTests: XCTestCase {
    /// Feeds packets every 20 ms with the given extra delay (ms) per packet index.
    private func feed(_ estimator: inout DelayEstimator, from first: Int, count: Int, delay: (Int) -> Double) {
        for index in first..<(first + count) {
            let media = Double(index) * 20
            estimator.record(arrival: .milliseconds(media + 50 + delay(index)), mediaMilliseconds: media)
        }
    }

    func testSteadyPathNeedsAlmostNoDelay() {
        var estimator = DelayEstimator()
        feed(&estimator, from: 0, count: 500) { _ in 0 }
        XCTAssertEqual(estimator.targetMilliseconds, 1, accuracy: 0.001)
        XCTAssertEqual(estimator.floorMilliseconds ?? 0, 50, accuracy: 0.001)
    }

    func testRisesWithinThreePacketsOfASpikeAndDecaysAfterIt() {
        var estimator = DelayEstimator()
        feed(&estimator, from: 0, count: 500) { $0 % 2 == 0 ? 0 : 10 }
        let calm = estimator.targetMilliseconds
        XCTAssertEqual(calm, 11, accuracy: 1)
        // 100 ms of extra delay on every packet for one second.
        feed(&estimator, from: 500, count: 3) { _ in 100 }
        XCTAssertGreaterThanOrEqual(estimator.targetMilliseconds, 100, "the target follows a spike within 3 packets")
        feed(&estimator, from: 503, count: 47) { _ in 100 }
        // Then calm again: back within 10 ms of the old target in at most 10 s (500 packets).
        var packetsToRecover: Int?
        for step in 0..<500 {
            feed(&estimator, from: 550 + step, count: 1) { $0 % 2 == 0 ? 0 : 10 }
            if packetsToRecover == nil && abs(estimator.targetMilliseconds - calm) <= 10 { packetsToRecover = step + 1 }
        }
        let recovered = try? XCTUnwrap(packetsToRecover)
        XCTAssertNotNil(recovered)
        // Measured: 352 packets (7.0 s) with the default quantile 0.98 and forget factor 0.99.
        XCTAssertLessThanOrEqual(recovered ?? .max, 500)
    }

    func testFloorFollowsClockDrift() {
        var estimator = DelayEstimator()
        // The sender's clock runs 1000 ppm slow: transit grows by 1 ms per second.
        feed(&estimator, from: 0, count: 3_000) { index in Double(index) * 20 * 0.001 }
        // After 60 s the floor has moved with the drift (within the 2 s window: <= 2 ms behind) ...
        XCTAssertEqual(estimator.floorMilliseconds ?? 0, 50 + 60 - 2, accuracy: 0.5)
        // ... and the target stays small instead of growing with the drift.
        XCTAssertLessThanOrEqual(estimator.targetMilliseconds, 4)
    }

    func testTheFirstPacketsWeighTheSameSoTheEarlyTargetIsTheirSpread() {
        var estimator = DelayEstimator()
        // Ten packets 0, 10, ..., 90 ms above the fastest.
        feed(&estimator, from: 0, count: 10) { Double($0) * 10 }
        XCTAssertEqual(estimator.targetMilliseconds, 91, "the 98th percentile of ten equal packets is the largest")
        XCTAssertEqual(estimator.cumulativeShares[0], 0.1, accuracy: 1e-12)
        XCTAssertEqual(estimator.cumulativeShares[50], 0.6, accuracy: 1e-12)
        var firstHeavy = DelayEstimator.Configuration()
        firstHeavy.weighsEarlyPacketsEqually = false
        var old = DelayEstimator(configuration: firstHeavy)
        feed(&old, from: 0, count: 10) { Double($0) * 10 }
        // The old weighting gave the first packet ~90 % of the mass: the early target was far too small.
        XCTAssertLessThanOrEqual(old.targetMilliseconds, 81)
    }
}
