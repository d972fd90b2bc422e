import HoplineCore
import XCTest

/// The quality-weighted target and the start from the first packets' spread, in the whole buffer on a virtual
/// clock: a `SyntheticTrace` sent every 20 ms (relative delay on top of a 20 ms path), optionally with RED
/// copies of the previous two frames riding in each packet, playout pulled in 10 ms periods.
final class AdaptiveJitterBufferQualityTests: XCTestCase {
    private let frame = 960

    private struct Run {
        var buffer: AdaptiveJitterBuffer
        var operations: [String] = []
        /// The target after each second of playout.
        var targets: [Double] = []
    }

    private func packet(_ index: Int) -> RTPPacket {
        RTPPacket(sequenceNumber: UInt16(truncatingIfNeeded: index), timestamp: UInt32(index * frame), ssrc: 9, payload: [1])
    }

    private func run(_ trace: SyntheticTrace, red: Bool, configuration: AdaptiveJitterBuffer.Configuration = .init()) -> Run {
        var run = Run(buffer: AdaptiveJitterBuffer(configuration: configuration))
        var schedule: [(time: Double, index: Int)] = trace.delays.enumerated().compactMap { index, delay in
            delay.map { (Double(index) * 20 + 20 + $0, index) }
        }
        schedule.sort { $0.time < $1.time }
        var next = 0, fifo = 0
        let end = Double(trace.delays.count) * 20
        var now = 0.0
        while now < end {
            while next < schedule.count && schedule[next].time <= now {
                let index = schedule[next].index
                _ = run.buffer.insert(packet(index), duration: frame, arrival: .milliseconds(schedule[next].time))
                if red {
                    for distance in [1, 2] where index >= distance {
                        _ = run.buffer.insertRedundant(
                            packet(index - distance), duration: frame, arrival: .milliseconds(schedule[next].time), distance: distance)
                    }
                }
                next += 1
            }
            pull: while fifo < 480 {
                let operation = run.buffer.nextOperation(now: .milliseconds(now + Double(fifo) / 48))
                run.operations.append(operation.name)
                switch operation {
                case .waiting: break pull
                case .normal(let p), .merge(let p): fifo += p.duration
                case .accelerate(let p, _):
                    fifo += p.duration - 240
                    run.buffer.didStretch(bySamples: -240)
                case .preemptiveExpand(let p, _):
                    fifo += p.duration + 240
                    run.buffer.didStretch(bySamples: 240)
                case .recoverFromFEC(_, let samples), .conceal(let samples), .comfortNoise(let samples): fifo += samples
                }
            }
            fifo = max(0, fifo - 480)
            now += 10
            if Int(now) % 1_000 == 0 { run.targets.append(run.buffer.targetDelayMilliseconds) }
        }
        return run
    }

    func testHeavyJitterWithLossConvergesNearTheBruteForceOptimumOfTheTrace() {
        for (seed, red) in [(UInt64(11), true), (12, false)] {
            let trace = SyntheticTrace(packets: 3_000, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 5, seed: seed)
            let result = run(trace, red: red)
            XCTAssertTrue(result.buffer.targetIsQualityWeighted, "seed \(seed)")
            let configuration = PlayoutQualityModel.Configuration()
            let brute = trace.bruteForce(redundancy: red ? 2 : 0, configuration: configuration)
            // The buffer sees only its last ~100 packets (forgetting) and keeps a target until another is
            // better by the hysteresis margin, so it wanders around the optimum of the whole trace: after
            // warm-up, each target it holds rates (replayed over the whole trace) within the hysteresis margin
            // plus 3 R of the brute-force best, and the mean target is within 25 ms of the best target.
            let settled = Array(result.targets.dropFirst(10))
            for target in Set(settled) {
                let rating = trace.replayedRating(target: target, redundancy: red ? 2 : 0, configuration: configuration)
                XCTAssertGreaterThan(
                    rating, brute.rating - configuration.hysteresisRating - 3,
                    "seed \(seed), RED \(red): \(target) ms against the best \(brute.target) ms; \(settled)")
            }
            let mean = settled.reduce(0, +) / Double(settled.count)
            XCTAssertEqual(mean, brute.target, accuracy: 25, "seed \(seed), RED \(red): \(settled)")
        }
    }

    func testHysteresisHoldsTheTargetSteadyOnAStationaryPath() {
        let trace = SyntheticTrace(packets: 3_000, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 5, seed: 13)
        var loose = AdaptiveJitterBuffer.Configuration()
        loose.qualityModel?.hysteresisRating = 0
        func changes(_ run: Run) -> Int { zip(run.targets, run.targets.dropFirst()).filter { $0 != $1 }.count }
        let steady = changes(run(trace, red: true))
        let wandering = changes(run(trace, red: true, configuration: loose))
        XCTAssertLessThan(steady * 2, wandering, "hysteresis: \(steady) changes in 60 s, none: \(wandering)")
    }

    func testCleanAndMildJitterPathsKeepThePercentileTargetExactly() {
        for (deviation, loss) in [(0.0, 0.0), (0.0, 3.0), (8.0, 3.0), (15.0, 0.0)] {
            let trace = SyntheticTrace(packets: 1_500, meanMilliseconds: 0, deviationMilliseconds: deviation, lossPercent: loss, seed: 14)
            var percentileOnly = AdaptiveJitterBuffer.Configuration()
            percentileOnly.qualityModel = nil
            let weighted = run(trace, red: loss > 0)
            let plain = run(trace, red: loss > 0, configuration: percentileOnly)
            XCTAssertFalse(weighted.buffer.targetIsQualityWeighted, "jitter \(deviation), loss \(loss)")
            XCTAssertEqual(weighted.operations, plain.operations, "jitter \(deviation), loss \(loss)")
            XCTAssertEqual(weighted.targets, plain.targets, "jitter \(deviation), loss \(loss)")
        }
    }

    func testAJitteryStartWaitsForTheSpreadInsteadOfConcealingItsWayUp() {
        var fromSpread = [Int](), fromInitial = [Int]()
        for seed in UInt64(20)..<UInt64(30) {
            let trace = SyntheticTrace(packets: 150, meanMilliseconds: 90, deviationMilliseconds: 60, lossPercent: 0, seed: seed)
            var old = AdaptiveJitterBuffer.Configuration()
            old.startsFromSpread = false
            old.estimator.weighsEarlyPacketsEqually = false
            fromSpread.append(run(trace, red: false).buffer.statistics.concealed)
            fromInitial.append(run(trace, red: false, configuration: old).buffer.statistics.concealed)
        }
        // Three seconds of the first packets of a call under 60 ms jitter, ten seeds: at least a fifth fewer
        // concealed frames (measured: 61 against 81).
        XCTAssertLessThan(fromSpread.reduce(0, +) * 5, fromInitial.reduce(0, +) * 4, "\(fromSpread) against \(fromInitial)")
    }
}
