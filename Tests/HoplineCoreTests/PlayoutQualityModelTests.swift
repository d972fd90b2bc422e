import HoplineCore
import HoplineTestSupport
import XCTest

/// A synthetic stream: each packet's relative delay (ms above the fastest possible) or nil when the network
/// lost it. Normal jitter (Box-Muller on a seeded generator) clipped at 0, as `hopline impair`'s
/// `jitter=` makes it.
struct SyntheticTrace {
    var delays: [Double?]

    init(packets: Int, meanMilliseconds: Double, deviationMilliseconds: Double, lossPercent: Double, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        delays = (0..<packets).map { _ in
            let lost = Double.random(in: 0..<100, using: &generator) < lossPercent
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return lost ? nil : max(0, meanMilliseconds + deviationMilliseconds * normal)
        }
    }

    /// The empirical distribution in 1 ms buckets, as `DelayEstimator.cumulativeShares` lays it out.
    var cumulativeShares: [Double] {
        let arrived = delays.compactMap { $0 }
        var counts = [Double](repeating: 0, count: 2_001)
        for delay in arrived { counts[min(2_000, Int(delay))] += 1 }
        var cumulative = 0.0
        return counts.map { count in
            cumulative += count
            return cumulative / Double(arrived.count)
        }
    }

    var lossShare: Double { Double(delays.filter { $0 == nil }.count) / Double(delays.count) }

    /// The rating of playing this trace at `target`, replayed frame by frame: is the packet itself, a RED copy
    /// in the next packets, or the next packet's FEC in time? Rated with `EModel`.
    func replayedRating(
        target: Double, redundancy: Int, configuration: PlayoutQualityModel.Configuration, frame: Double = 20, margin: Double = 10
    ) -> Double {
        let frames = delays.count - redundancy - 1
        func inTime(_ index: Int, carrier: Int) -> Bool {
            guard let delay = delays[index + carrier] else { return false }
            return delay < target - margin - Double(carrier) * frame
        }
        var missing = 0, rebuilt = 0
        for index in 0..<frames where !inTime(index, carrier: 0) {
            if redundancy > 0, (1...redundancy).contains(where: { inTime(index, carrier: $0) }) { continue }
            if redundancy == 0 && inTime(index, carrier: 1) { rebuilt += 1 } else { missing += 1 }
        }
        let loss = 100 * (Double(missing) + configuration.fecRebuiltLossWeight * Double(rebuilt)) / Double(frames)
        return 93.2 - EModel.delayImpairment(oneWayDelayMilliseconds: target + configuration.fixedDelayMilliseconds)
            - EModel.effectiveEquipmentImpairment(lossPercent: loss)
    }

    /// The brute-force search: `replayedRating` for every target from the margin to 400 ms, the best one.
    func bruteForce(redundancy: Int, configuration: PlayoutQualityModel.Configuration) -> (target: Double, rating: Double) {
        var best = (target: 0.0, rating: -Double.infinity)
        for target in stride(from: 10.0, through: 400, by: 1) {
            let rating = replayedRating(target: target, redundancy: redundancy, configuration: configuration)
            if rating > best.rating { best = (target, rating) }
        }
        return best
    }
}

final class PlayoutQualityModelTests: XCTestCase {
    private let frame = 20.0, margin = 10.0

    private func stream(_ trace: SyntheticTrace, redundancy: Int) -> PlayoutQualityModel.Stream {
        PlayoutQualityModel.Stream(
            cumulativeShares: trace.cumulativeShares, bucketMilliseconds: 1, networkLoss: trace.lossShare,
            redundancyDepth: redundancy, inBandFEC: true, frameMilliseconds: frame, marginMilliseconds: margin)
    }

    func testHeavyJitterWithLossAgreesWithABruteForceSearchOverTheTrace() {
        let model = PlayoutQualityModel()
        for (seed, redundancy) in [(UInt64(1), 0), (2, 0), (3, 2), (4, 2), (5, 1)] {
            let trace = SyntheticTrace(packets: 10_000, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 5, seed: seed)
            let chosen = model.best(stream: stream(trace, redundancy: redundancy), lowest: margin, highest: 400)
            let brute = trace.bruteForce(redundancy: redundancy, configuration: model.configuration)
            // The model assumes independent delays and losses, which this trace has: same optimum within a few
            // ms on a flat top, and the brute-force rating of the model's choice within 0.3 R of the best.
            XCTAssertEqual(chosen.targetMilliseconds, brute.target, accuracy: 8, "seed \(seed), RED depth \(redundancy)")
            XCTAssertEqual(chosen.rating, brute.rating, accuracy: 0.5, "seed \(seed), RED depth \(redundancy)")
        }
    }

    func testRedundancyLetsTheTargetComeDownAndLossRaisesIt() {
        let model = PlayoutQualityModel()
        let trace = SyntheticTrace(packets: 10_000, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 5, seed: 7)
        let plain = model.best(stream: stream(trace, redundancy: 0), lowest: margin, highest: 400)
        let red = model.best(stream: stream(trace, redundancy: 2), lowest: margin, highest: 400)
        // Copies in the next two packets rebuild most late frames: a shorter target rates better.
        XCTAssertLessThan(red.targetMilliseconds, plain.targetMilliseconds - 20)
        XCTAssertGreaterThan(red.rating, plain.rating)
        // Against the 98th percentile plus margin plus one FEC frame (the percentile target), the model's pick
        // without RED lands close to it: the two agree where the percentile was tuned.
        let percentile98 = Double((trace.cumulativeShares.firstIndex { $0 >= 0.98 } ?? 0) + 1)
        XCTAssertEqual(plain.targetMilliseconds, percentile98 + margin + frame, accuracy: 25)
    }

    func testHysteresisKeepsANearlyAsGoodTargetAndLeavesAPoorOne() {
        let model = PlayoutQualityModel()
        let trace = SyntheticTrace(packets: 10_000, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 5, seed: 8)
        let stream = stream(trace, redundancy: 2)
        let best = model.best(stream: stream, lowest: margin, highest: 400)
        for offset in [-3.0, 3.0] {
            let near = best.targetMilliseconds + offset
            XCTAssertLessThan(best.rating - model.assess(target: near, stream: stream).rating, model.configuration.hysteresisRating)
            XCTAssertEqual(model.choose(stream: stream, current: near, lowest: margin, highest: 400), near, "kept")
        }
        for poor in [best.targetMilliseconds - 60, best.targetMilliseconds + 80] {
            XCTAssertEqual(model.choose(stream: stream, current: poor, lowest: margin, highest: 400), best.targetMilliseconds)
        }
        XCTAssertEqual(model.choose(stream: stream, current: nil, lowest: margin, highest: 400), best.targetMilliseconds)
    }

    func testACleanDistributionRatesTheShortestTargetBest() {
        let clean = PlayoutQualityModel.Stream(
            cumulativeShares: [1], bucketMilliseconds: 1, networkLoss: 0, redundancyDepth: 0, inBandFEC: true,
            frameMilliseconds: frame, marginMilliseconds: margin)
        let best = PlayoutQualityModel().best(stream: clean, lowest: margin, highest: 200)
        XCTAssertEqual(best.targetMilliseconds, margin + 1, "every packet within 1 ms: nothing to wait for")
        XCTAssertEqual(best.effectiveLossPercent, 0)
    }
}
