import HoplineCore
import XCTest

/// The impairment model's exact behaviour: determinism, fixed delay, stalls, skew, FIFO order, duplicates.
final class ImpairmentModelTests: XCTestCase {
    /// Send instants of `count` packets every `intervalMs` from `startMs`.
    private func sendTimes(_ count: Int, intervalMs: Double = 20, startMs: Double = 1_000) -> [ClockInstant] {
        (0..<count).map { ClockInstant.milliseconds(startMs + Double($0) * intervalMs) }
    }

    private func fates(_ text: String, count: Int = 2_000, stream: UInt64 = 0) throws -> [PacketFate] {
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: text), stream: stream)
        return sendTimes(count).map { model.fate(ofPacketSentAt: $0) }
    }

    func testCleanSpecDeliversEveryPacketOnceAtItsSendTime() throws {
        let times = sendTimes(500)
        var model = ImpairmentModel(spec: .clean)
        XCTAssertEqual(times.map { model.fate(ofPacketSentAt: $0) }, times.map { .delivered(at: $0) })
        XCTAssertEqual(model.counters.packets, 500)
        XCTAssertEqual(model.counters.lost, 0)
    }

    func testFixedDelayIsExact() throws {
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "delay=90ms"))
        XCTAssertEqual(model.fate(ofPacketSentAt: .milliseconds(3)), .delivered(at: .milliseconds(93)))
        XCTAssertEqual(model.fate(ofPacketSentAt: .milliseconds(23.5)), .delivered(at: .milliseconds(113.5)))
    }

    func testSameSeedGivesSameFatesAndOtherSeedsOrStreamsDiffer() throws {
        let text = "loss=5%,burst=0.05/0.5,delay=90ms,jitter=30ms,dup=2%,stall=300ms/5s,skew=-500ppm"
        let first = try fates(text + ",seed=7")
        XCTAssertEqual(try fates(text + ",seed=7"), first)
        XCTAssertNotEqual(try fates(text + ",seed=8"), first)
        XCTAssertNotEqual(try fates(text + ",seed=7", stream: 1), first)
        XCTAssertTrue(first.contains(.lost))
        XCTAssertTrue(first.contains { if case .duplicated = $0 { return true } else { return false } })
    }

    func testWhichPacketsAreLostDoesNotDependOnTheOtherEffects() throws {
        let lossOnly = try fates("loss=10%,seed=3").map(\.isLost)
        let withEverything = try fates("loss=10%,delay=50ms,jitter=40ms,jitter-dist=pareto,dup=5%,stall=200ms/2s,skew=300ppm,seed=3")
        XCTAssertEqual(withEverything.map(\.isLost), lossOnly)
    }

    func testEveryPacketLostAtHundredPercentAndDuplicatedAtHundredPercent() throws {
        XCTAssertTrue(try fates("loss=100%", count: 300).allSatisfy(\.isLost))
        let times = sendTimes(300)
        XCTAssertEqual(try fates("dup=100%", count: 300), times.map { .duplicated(first: $0, second: $0) })
    }

    func testStallHoldsPacketsSentInTheWindowUntilItEnds() throws {
        // Windows [5000, 5300) and [10000, 10300) ms after the origin at 0; 10 ms delay, no jitter.
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "delay=10ms,stall=300ms/5s"), origin: .zero)
        let expectations: [(sent: Double, arrival: Double)] = [
            (0, 10), (299, 309), (4_999.999, 5_009.999), (5_000, 5_310), (5_150, 5_310), (5_299.999, 5_310),
            (5_300, 5_310), (5_300.001, 5_310.001), (9_999, 10_009), (10_000, 10_310), (10_299, 10_310),
            (10_400, 10_410),
        ]
        for (sent, arrival) in expectations {
            XCTAssertEqual(model.fate(ofPacketSentAt: .milliseconds(sent)), .delivered(at: .milliseconds(arrival)), "sent at \(sent) ms")
        }
    }

    func testStallTimelineStartsAtTheFirstPacketByDefault() throws {
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "stall=100ms/1s"))
        XCTAssertEqual(model.fate(ofPacketSentAt: .milliseconds(700)), .delivered(at: .milliseconds(700)))
        XCTAssertEqual(model.origin, .milliseconds(700))
        XCTAssertEqual(model.fate(ofPacketSentAt: .milliseconds(1_750)), .delivered(at: .milliseconds(1_800)))
    }

    func testSkewDriftsExactlyOverAnHour() throws {
        let hour: Int64 = 3_600_000_000_000
        for (ppm, driftNanoseconds) in [(500.0, Int64(1_800_000_000)), (-500, -1_800_000_000), (0.5, 1_800_000)] {
            var model = ImpairmentModel(spec: ImpairmentSpec(delayMilliseconds: 40, skewPartsPerMillion: ppm), origin: .zero)
            XCTAssertEqual(model.fate(ofPacketSentAt: .zero), .delivered(at: .milliseconds(40)))
            XCTAssertEqual(
                model.fate(ofPacketSentAt: ClockInstant(nanoseconds: hour)),
                .delivered(at: ClockInstant(nanoseconds: hour + driftNanoseconds + 40_000_000)), "skew \(ppm) ppm")
            // Half-way, half the drift.
            XCTAssertEqual(
                model.fate(ofPacketSentAt: ClockInstant(nanoseconds: hour / 2)),
                .delivered(at: ClockInstant(nanoseconds: hour / 2 + driftNanoseconds / 2 + 40_000_000)))
        }
    }

    func testJitterReordersByDefaultAndFIFOKeepsOrder() throws {
        func inversions(_ fates: [PacketFate]) -> Int {
            let arrivals = fates.compactMap(\.arrivals.first)
            return zip(arrivals, arrivals.dropFirst()).filter { $0.1 < $0.0 }.count
        }
        // Normal jitter with a 30 ms standard deviation, packets 20 ms apart: neighbours swap often.
        let natural = try fates("delay=100ms,jitter=30ms,seed=4")
        XCTAssertGreaterThan(inversions(natural), 200, "natural reordering expected with 30 ms jitter")
        let fifo = try fates("delay=100ms,jitter=30ms,reorder=off,seed=4,dup=3%")
        let allArrivals = fifo.flatMap(\.arrivals)
        XCTAssertEqual(allArrivals, allArrivals.sorted(), "FIFO arrivals must never go backwards")
        // FIFO only delays: no arrival earlier than the same packet's natural arrival.
        for (fifoFate, naturalFate) in zip(try fates("delay=100ms,jitter=30ms,reorder=off,seed=4"), natural) {
            XCTAssertGreaterThanOrEqual(fifoFate.arrivals[0], naturalFate.arrivals[0])
        }
    }

    func testNormalJitterNeverMakesADelayNegativeAndParetoNeverUndercutsTheFixedDelay() throws {
        let times = sendTimes(5_000)
        var normal = ImpairmentModel(spec: try ImpairmentSpec(parsing: "jitter=50ms"))
        var pareto = ImpairmentModel(spec: try ImpairmentSpec(parsing: "delay=20ms,jitter=50ms,jitter-dist=pareto"))
        for sent in times {
            XCTAssertGreaterThanOrEqual(normal.fate(ofPacketSentAt: sent).arrivals[0], sent)
            let arrival = pareto.fate(ofPacketSentAt: sent).arrivals[0]
            XCTAssertGreaterThanOrEqual(arrival, sent.advanced(byMilliseconds: 20))
            XCTAssertLessThanOrEqual(arrival, sent.advanced(byMilliseconds: 20 + 100 * 50), "Pareto cap is 100 x jitter")
        }
    }

    func testDuplicateCopiesAreOrderedAndCounted() throws {
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "delay=50ms,jitter=10ms,dup=50%,seed=2"))
        var duplicates = 0
        for sent in sendTimes(1_000) {
            if case .duplicated(let first, let second) = model.fate(ofPacketSentAt: sent) {
                XCTAssertLessThanOrEqual(first, second)
                duplicates += 1
            }
        }
        XCTAssertEqual(model.counters.duplicated, duplicates)
        XCTAssertGreaterThan(duplicates, 400)
    }
}
