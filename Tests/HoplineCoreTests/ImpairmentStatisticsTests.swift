import HoplineCore
import XCTest

/// The impairment model's statistics over 100 000 packets against their theoretical values. Each tolerance is
/// 5 standard errors of the estimate (computed in the test's comment), so a correct model fails about once in
/// 1.7 million runs, and a model off by more than the tolerance fails every time (the seeds are fixed).
final class ImpairmentStatisticsTests: XCTestCase {
    private let count = 100_000

    private func run(_ text: String) throws -> [PacketFate] {
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: text))
        return (0..<count).map { model.fate(ofPacketSentAt: .milliseconds(Double($0) * 20)) }
    }

    /// Extra delay of each delivered packet over `baseMs`, ms.
    private func extraDelays(_ fates: [PacketFate], baseMs: Double) -> [Double] {
        fates.enumerated().compactMap { index, fate in
            fate.arrivals.first.map { $0.milliseconds(since: .milliseconds(Double(index) * 20)) - baseMs }
        }
    }

    private func meanAndStandardDeviation(_ values: [Double]) -> (mean: Double, sd: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    func testRandomLossRate() throws {
        // Binomial: SE = sqrt(0.05 x 0.95 / 1e5) = 0.00069; 5 SE = 0.0034.
        let fates = try run("loss=5%,seed=11")
        let rate = Double(fates.filter(\.isLost).count) / Double(count)
        XCTAssertEqual(rate, 0.05, accuracy: 0.0034)
    }

    func testGilbertElliottLossRateAndMeanBurstLength() throws {
        // p = 0.05, r = 0.5: loss rate p / (p + r) = 0.0909, mean burst 1 / r = 2.
        // Loss rate of a two-state chain: SE = sqrt(pi (1 - pi) / n x (1 + l) / (1 - l)), l = 1 - p - r = 0.45,
        // = sqrt(0.0826 / 1e5 x 2.64) = 0.0015; 5 SE = 0.0074.
        // Bursts are geometric (mean 2, SD sqrt(1 - r) / r = 1.41); about n pi r = 4545 of them: SE = 0.021; 5 SE = 0.105.
        let fates = try run("burst=0.05/0.5,seed=12")
        let lost = fates.map(\.isLost)
        XCTAssertEqual(Double(lost.filter { $0 }.count) / Double(count), 0.05 / 0.55, accuracy: 0.0074)
        var bursts: [Int] = []
        var run = 0
        for isLost in lost + [false] {
            if isLost {
                run += 1
            } else if run > 0 {
                bursts.append(run)
                run = 0
            }
        }
        XCTAssertEqual(Double(bursts.reduce(0, +)) / Double(bursts.count), 2, accuracy: 0.105)
        // Independent loss at the same rate has mean burst 1 / (1 - 0.0909) = 1.1: the test can tell them apart.
    }

    func testGilbertElliottWithPartialLossInEachState() throws {
        // h = 0.8, k = 0.01: rate = 0.8 x 0.0909 + 0.01 x 0.9091 = 0.0818; SE below 0.0015 as above; 5 SE = 0.0074.
        let fates = try run("burst=0.05/0.5/0.8/0.01,seed=13")
        let rate = Double(fates.filter(\.isLost).count) / Double(count)
        XCTAssertEqual(rate, 0.8 * 0.05 / 0.55 + 0.01 * 0.5 / 0.55, accuracy: 0.0074)
    }

    func testNormalJitterStandardDeviation() throws {
        // Delay 200 ms keeps the clamp at 0 below 1e-9 of packets. SE of a sample SD = sd / sqrt(2n) = 0.067 ms;
        // 5 SE = 0.34 ms. Mean: SE = 30 / sqrt(1e5) = 0.095 ms; 5 SE = 0.47 ms.
        let delays = extraDelays(try run("delay=200ms,jitter=30ms,seed=14"), baseMs: 200)
        let (mean, sd) = meanAndStandardDeviation(delays)
        XCTAssertEqual(sd, 30, accuracy: 0.34)
        XCTAssertEqual(mean, 0, accuracy: 0.47)
        // 68.3 % within one SD (binomial SE 0.0015; 5 SE = 0.0074).
        XCTAssertEqual(Double(delays.filter { abs($0) < 30 }.count) / Double(delays.count), 0.6827, accuracy: 0.0074)
    }

    func testParetoJitterMeanAndHeavyTail() throws {
        // Lomax(alpha 2.5, scale 45 ms): mean 30 ms, SD 67 ms; SE of the mean = 67 / sqrt(1e5) = 0.21 ms, but the
        // cap at 100 x jitter trims the mean by 0.18 % (0.05 ms): tolerance 5 SE + 0.05 = 1.1 ms.
        // P(extra > 150 ms = 5 x jitter) = (1 + 150 / 45)^-2.5 = 0.02558; binomial SE 0.0005; 5 SE = 0.0025.
        let pareto = extraDelays(try run("jitter=30ms,jitter-dist=pareto,seed=15"), baseMs: 0)
        XCTAssertEqual(meanAndStandardDeviation(pareto).mean, 30, accuracy: 1.1)
        XCTAssertGreaterThanOrEqual(pareto.min() ?? -1, 0)
        let paretoTail = Double(pareto.filter { $0 > 150 }.count) / Double(pareto.count)
        XCTAssertEqual(paretoTail, 0.02558, accuracy: 0.0025)
        // A normal jitter of the same size (SD 30 ms) beyond 5 SD: 2.9e-7 expected, so none in 1e5.
        let normal = extraDelays(try run("delay=200ms,jitter=30ms,seed=15"), baseMs: 200)
        XCTAssertEqual(normal.filter { $0 > 150 }.count, 0)
    }

    func testDuplicateRate() throws {
        // Binomial: SE = sqrt(0.01 x 0.99 / 1e5) = 0.00031; 5 SE = 0.0016.
        let fates = try run("dup=1%,seed=16")
        let duplicated = fates.filter { $0.arrivals.count == 2 }.count
        XCTAssertEqual(Double(duplicated) / Double(count), 0.01, accuracy: 0.0016)
    }
}
