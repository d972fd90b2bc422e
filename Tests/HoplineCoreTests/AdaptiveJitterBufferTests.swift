import HoplineCore
import XCTest

/// Drives an `AdaptiveJitterBuffer` the way `MediaReceiver` does, on a virtual clock: packets every 20 ms
/// arrive when the test says, playout pulls 10 ms periods, and stretch operations change the audio length
/// by a fixed 5 ms (standing in for the time-stretcher).
private struct Simulation {
    var buffer: AdaptiveJitterBuffer
    var operations: [String] = []
    var fifo = 0
    let frame = 960
    var baseSequence: UInt16 = 0xFFF0
    var baseTimestamp: UInt32 = 0xFFFF_F000
    /// Which frame slot packet `index` carries, and whether it starts a talkspurt (DTX tests change these).
    var slot: (Int) -> Int = { $0 }
    var startsTalkspurt: (Int) -> Bool = { _ in false }

    init(configuration: AdaptiveJitterBuffer.Configuration = .init()) {
        buffer = AdaptiveJitterBuffer(configuration: configuration)
    }

    func packet(_ index: Int, marker: Bool = false, timestampIndex: Int? = nil) -> RTPPacket {
        RTPPacket(
            marker: marker, sequenceNumber: baseSequence &+ UInt16(truncatingIfNeeded: index),
            timestamp: baseTimestamp &+ UInt32(truncatingIfNeeded: (timestampIndex ?? index) * frame), ssrc: 5,
            payload: [1])
    }

    /// Runs `packets` frames: `arrival(index)` gives packet `index`'s arrival in ms (nil: lost); playout
    /// runs until `endMs`. Returns the operations by name, in order.
    mutating func run(packets: Int, until endMs: Double, arrival: (Int) -> Double?) {
        var schedule: [(time: Double, index: Int)] = (0..<packets).compactMap { index in arrival(index).map { ($0, index) } }
        schedule.sort { $0.time < $1.time }
        var next = 0
        var now = 0.0
        while now < endMs {
            while next < schedule.count && schedule[next].time <= now {
                let index = schedule[next].index
                let packet = packet(index, marker: startsTalkspurt(index), timestampIndex: slot(index))
                _ = buffer.insert(packet, duration: frame, arrival: .milliseconds(schedule[next].time))
                next += 1
            }
            pull(now: now)
            now += 10
        }
    }

    mutating func pull(now: Double) {
        while fifo < 480 {
            let operation = buffer.nextOperation(now: .milliseconds(now + Double(fifo) / 48))
            operations.append(operation.name)
            switch operation {
            case .waiting: return
            case .normal(let p), .merge(let p): fifo += p.duration
            case .accelerate(let p, _):
                fifo += p.duration - 240
                buffer.didStretch(bySamples: -240)
            case .preemptiveExpand(let p, _):
                fifo += p.duration + 240
                buffer.didStretch(bySamples: 240)
            case .recoverFromFEC(_, let samples), .conceal(let samples), .comfortNoise(let samples): fifo += samples
            }
        }
        fifo -= 480
    }

    func count(_ name: String) -> Int { operations.filter { $0 == name }.count }
}

final class AdaptiveJitterBufferTests: XCTestCase {
    func testCleanPathSettlesAtASmallDelay() {
        var simulation = Simulation()
        simulation.run(packets: 500, until: 10_000) { Double($0) * 20 + 20 + 30 }
        XCTAssertEqual(simulation.count("conceal"), 0)
        XCTAssertEqual(simulation.buffer.statistics.late, 0)
        XCTAssertGreaterThan(simulation.count("accelerate"), 0, "the 20 ms starting target is trimmed")
        // 1 ms of histogram resolution plus the 10 ms playout-period margin.
        XCTAssertLessThanOrEqual(simulation.buffer.targetDelayMilliseconds, 12)
        XCTAssertLessThanOrEqual(simulation.buffer.playedDelayMilliseconds ?? 99, 12 + 8, "within the accelerate band")
        XCTAssertGreaterThanOrEqual(simulation.buffer.statistics.played, 497, "all but the last packets (not yet due) played")
    }

    func testSingleLossIsRebuiltFromTheNextPacketsFEC() {
        var configuration = AdaptiveJitterBuffer.Configuration()
        configuration.initialTargetMilliseconds = 30
        var simulation = Simulation(configuration: configuration)
        simulation.run(packets: 20, until: 300) { $0 == 7 ? nil : Double($0) * 20 + 20 }
        XCTAssertEqual(simulation.buffer.statistics.fecRecovered, 1)
        XCTAssertEqual(simulation.buffer.statistics.concealed, 0)
        let fec = simulation.operations.firstIndex(of: "fec")
        XCTAssertNotNil(fec)
        XCTAssertEqual(fec.map { simulation.operations[$0 + 1] }, "merge", "the next packet follows its FEC frame")
    }

    func testStallHoldsPlayoutThenCatchesUpWithoutLoss() {
        var simulation = Simulation()
        // Packets 100-114 are held by a 300 ms stall and arrive together.
        simulation.run(packets: 400, until: 8_200) { index in
            let sent = Double(index) * 20 + 20
            return (100...114).contains(index) ? 2_320 + Double(index - 100) * 0.1 : sent
        }
        let stats = simulation.buffer.statistics
        XCTAssertEqual(stats.late, 0, "held, not dropped")
        XCTAssertGreaterThan(stats.concealed, 0, "the gap was bridged by concealment")
        XCTAssertGreaterThan(stats.accelerated, 20, "the extra delay is worked off")
        XCTAssertLessThanOrEqual(simulation.buffer.playedDelayMilliseconds ?? 999, 50, "back near target by the end")
    }

    /// An outage that loses packets on a path that does not reorder (a relay that died, then the call moved
    /// to another path): the concealment played while holding stands in for the lost slots, so playout goes
    /// on at the old delay with no second round of concealment and nothing added to the delay.
    func testAnOutageThatLosesPacketsCostsItsOwnLengthOnceAndDoesNotGrowTheDelay() {
        var simulation = Simulation()
        simulation.run(packets: 300, until: 6_000) { index in
            (100...109).contains(index) ? nil : Double(index) * 20 + 20
        }
        let stats = simulation.buffer.statistics
        // 10 lost frames (200 ms), the last rebuilt from FEC: at most 10 frames of concealment and FEC in all.
        XCTAssertLessThanOrEqual(stats.concealed + stats.fecRecovered, 11, "\(stats)")
        XCTAssertEqual(stats.late, 0)
        // (Before this rule the held slots were concealed a second time after the hold: 20 frames.)
        XCTAssertLessThanOrEqual(simulation.buffer.playedDelayMilliseconds ?? 999, 20)
    }

    func testDTXPauseIsComfortNoiseAndTheTalkspurtStartsAtTarget() {
        var simulation = Simulation()
        // 50 frames, then a 1 s DTX pause: the sequence continues at 50 for frame slot 100, marker set.
        let slot: @Sendable (Int) -> Int = { $0 < 50 ? $0 : $0 + 50 }
        simulation.slot = slot
        simulation.startsTalkspurt = { $0 == 50 }
        simulation.run(packets: 100, until: 3_500) { index in Double(slot(index)) * 20 + 20 }
        let stats = simulation.buffer.statistics
        XCTAssertEqual(stats.concealed, 0)
        XCTAssertGreaterThanOrEqual(stats.comfortNoise, 45, "about 1 s of comfort noise, counted in 20 ms frames")
        XCTAssertEqual(stats.late, 0)
        XCTAssertEqual(stats.played, 100)
        XCTAssertEqual(stats.merged, 1, "the talkspurt's first packet joins the comfort noise")
    }

    func testLatePacketIsCountedAndDropped() {
        var simulation = Simulation()
        simulation.run(packets: 60, until: 1_400) { index in
            index == 30 ? Double(index) * 20 + 20 + 200 : Double(index) * 20 + 20
        }
        XCTAssertEqual(simulation.buffer.statistics.late, 1)
        XCTAssertEqual(simulation.buffer.statistics.fecRecovered, 1, "its slot was rebuilt from FEC meanwhile")
    }

    func testClockDriftOfAThousandPPMDoesNotMoveTheDelay() {
        for ppm in [-1_000.0, 1_000.0] {
            var simulation = Simulation()
            // 10 minutes: the sender's clock runs fast or slow, so arrivals drift by 1 ms per second.
            let packets = 30_000
            simulation.run(packets: packets, until: Double(packets) * 20) { index in
                let media = Double(index) * 20
                return media * (1 + ppm / 1_000_000) + 20 + 500
            }
            let stats = simulation.buffer.statistics
            XCTAssertEqual(stats.late, 0, "\(ppm) ppm")
            XCTAssertLessThanOrEqual(stats.concealed, 2, "\(ppm) ppm")
            XCTAssertLessThanOrEqual(simulation.buffer.playedDelayMilliseconds ?? 999, 25, "\(ppm) ppm: delay stays put")
            XCTAssertGreaterThan(ppm > 0 ? stats.preemptiveExpanded : stats.accelerated, 50, "\(ppm) ppm: drift absorbed")
        }
    }

    func testDuplicatesAndNewStream() {
        var buffer = AdaptiveJitterBuffer()
        let packet = RTPPacket(sequenceNumber: 1, timestamp: 960, ssrc: 1, payload: [1])
        XCTAssertEqual(buffer.insert(packet, duration: 960, arrival: .zero), .accepted)
        XCTAssertEqual(buffer.insert(packet, duration: 960, arrival: .zero), .duplicate)
        let other = RTPPacket(sequenceNumber: 1, timestamp: 960, ssrc: 2, payload: [1])
        XCTAssertEqual(buffer.insert(other, duration: 960, arrival: .zero), .acceptedNewStream)
        XCTAssertEqual(buffer.statistics.duplicates, 1)
        XCTAssertEqual(buffer.statistics.streamResets, 1)
    }

    func testTimelineRecordsArrivalsAndDecisions() {
        var configuration = AdaptiveJitterBuffer.Configuration()
        configuration.recordsTimeline = true
        var simulation = Simulation(configuration: configuration)
        simulation.run(packets: 10, until: 300) { Double($0) * 20 + 20 }
        let arrivals = simulation.buffer.timeline.filter { if case .arrival = $0 { true } else { false } }
        XCTAssertEqual(arrivals.count, 10)
        XCTAssertGreaterThan(simulation.buffer.timeline.count, 10)
    }
}
