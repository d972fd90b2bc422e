import HoplineCore
import XCTest

/// RED copies in the adaptive jitter buffer, on a virtual clock: packets of 20 ms, playout pulled every 10 ms.
final class AdaptiveJitterBufferREDTests: XCTestCase {
    private let frame = 960

    private func packet(_ index: Int) -> RTPPacket {
        RTPPacket(sequenceNumber: 0xFFFE &+ UInt16(index), timestamp: 0xFFFF_F000 &+ UInt32(index * frame), ssrc: 7, payload: [UInt8(index)])
    }

    /// Inserts what `arrivals` says for each 10 ms tick (primaries and copies with their distance), pulls one
    /// decision per tick while audio is owed, and returns the decisions (name and payload of played packets).
    private func run(
        _ buffer: inout AdaptiveJitterBuffer, ticks: Int, arrivals: (Int) -> [(index: Int, distance: Int)]
    ) -> [(name: String, payload: UInt8?)] {
        var decisions: [(String, UInt8?)] = []
        var owed = 0
        for tick in 0..<ticks {
            let now = ClockInstant.milliseconds(Double(tick) * 10)
            for arrival in arrivals(tick) {
                if arrival.distance == 0 {
                    _ = buffer.insert(packet(arrival.index), duration: frame, arrival: now)
                } else {
                    _ = buffer.insertRedundant(packet(arrival.index), duration: frame, arrival: now, distance: arrival.distance)
                }
            }
            owed += 480
            while owed > 0 {
                let operation = buffer.nextOperation(now: now)
                switch operation {
                case .waiting: owed = 0
                case .normal(let p), .merge(let p), .accelerate(let p, _), .preemptiveExpand(let p, _):
                    decisions.append((operation.name, p.packet.payload.first)); owed -= p.duration
                case .recoverFromFEC(_, let samples), .conceal(let samples), .comfortNoise(let samples):
                    decisions.append((operation.name, nil)); owed -= samples
                }
            }
        }
        return decisions
    }

    /// Packets every 20 ms (tick 2i), with RED copies of the previous two riding along, except `lost` primaries.
    private func redStream(lost: Set<Int>, packets: Int) -> (Int) -> [(index: Int, distance: Int)] {
        { tick in
            guard tick % 2 == 0, tick / 2 < packets, !lost.contains(tick / 2) else { return [] }
            let index = tick / 2
            return [(index, 0)] + [2, 1].filter { index - $0 >= 0 }.map { (index - $0, $0) }
        }
    }

    func testACopyFillsTheSlotOfALostPrimaryAndCopiesOfReceivedPacketsChangeNothing() {
        var buffer = AdaptiveJitterBuffer()
        let decisions = run(&buffer, ticks: 120, arrivals: redStream(lost: [20, 35, 50], packets: 60))
        let played = decisions.compactMap(\.payload)
        XCTAssertEqual(played, (0..<played.count).map(UInt8.init), "every frame once, in order, lost ones from copies")
        XCTAssertGreaterThan(played.count, 50)
        XCTAssertFalse(decisions.contains { $0.name == "conceal" || $0.name == "fec" }, "\(decisions.map(\.name))")
        XCTAssertEqual(buffer.statistics.redundantCopiesUsed, 3)
        XCTAssertEqual(buffer.statistics.duplicates, 0, "copies of packets already here are not network duplicates")
        XCTAssertEqual(buffer.statistics.late, 0, "copies of frames already played are not late packets")
        XCTAssertEqual(buffer.statistics.concealed, 0)
    }

    func testAPrimaryArrivingAfterItsCopyIsADuplicateAndPlaysOnce() {
        var buffer = AdaptiveJitterBuffer()
        // Packet 10 is delayed by 60 ms: the copies in 11 and 12 come first.
        let base = redStream(lost: [10], packets: 40)
        let decisions = run(&buffer, ticks: 90) { tick in base(tick) + (tick == 26 ? [(10, 0)] : []) }
        let played = decisions.compactMap(\.payload)
        XCTAssertEqual(played.filter { $0 == 10 }.count, 1)
        XCTAssertEqual(played, (0..<played.count).map(UInt8.init))
        XCTAssertEqual(buffer.statistics.redundantCopiesUsed, 1)
        XCTAssertEqual(buffer.statistics.duplicates, 1, "the late primary")
    }

    func testTheSecondCopyOfABurstOfTwoIsTakenAndCountedAsBurst() {
        var buffer = AdaptiveJitterBuffer()
        _ = run(&buffer, ticks: 120, arrivals: redStream(lost: [30, 31], packets: 60))
        // Packet 32 carries 30 (distance 2) and 31 (distance 1).
        XCTAssertEqual(buffer.statistics.redundantCopiesUsed + buffer.statistics.redundantCopiesLate, 2)
        XCTAssertEqual(buffer.statistics.burstCopiesUsed + (buffer.statistics.redundantCopiesLate > 0 ? 1 : 0), 1)
    }

    func testACopyAfterItsSlotWasConcealedIsLateAndNotPlayed() {
        var buffer = AdaptiveJitterBuffer()
        var stream = redStream(lost: [20], packets: 40)
        // Packet 21 (with 20's copy) is lost too, so 20's only copy rides in 22 ... which comes 200 ms late.
        let late = stream
        stream = { tick in
            if tick == 42 || tick == 44 { return [] }
            return late(tick) + (tick == 64 ? late(44) : [])
        }
        let decisions = run(&buffer, ticks: 90, arrivals: stream)
        XCTAssertGreaterThan(buffer.statistics.redundantCopiesLate, 0)
        XCTAssertEqual(buffer.statistics.late, 0, "late copies are not counted as late packets")
        XCTAssertEqual(decisions.compactMap(\.payload).filter { $0 == 20 }.count, 0)
    }

    func testTheBufferWaitsForASecondCopyOnlyWhileBurstsAreSeen() {
        // Isolated losses: one frame spare (for FEC or the next packet's copy).
        var isolated = AdaptiveJitterBuffer()
        _ = run(&isolated, ticks: 400, arrivals: redStream(lost: Set(stride(from: 20, to: 200, by: 20)), packets: 200))
        // Bursts of two: two frames spare, so the copy two packets later is there in time.
        var bursty = AdaptiveJitterBuffer()
        let burstLosses = Set(stride(from: 20, to: 200, by: 20).flatMap { [$0, $0 + 1] })
        _ = run(&bursty, ticks: 400, arrivals: redStream(lost: burstLosses, packets: 200))
        XCTAssertEqual(bursty.targetDelayMilliseconds - isolated.targetDelayMilliseconds, 20, accuracy: 0.5)
        XCTAssertEqual(isolated.statistics.burstCopiesUsed, 0)
        XCTAssertGreaterThan(bursty.statistics.burstCopiesUsed, 5)
        // Only the first burst, before the reserve grew, loses a frame (concealed or rebuilt from FEC).
        XCTAssertLessThanOrEqual(bursty.statistics.concealed + bursty.statistics.fecRecovered, 1, "\(bursty.statistics)")
    }
}
