import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore
import HoplineTestSupport
import XCTest

/// The relay's anti-abuse rules, checked exhaustively and by seeded fuzzing: no reply is larger than its
/// request, nothing unauthenticated creates state, and only a session's proven sides ever receive.
final class RelayAmplificationTests: XCTestCase {
    private let alice = address("198.51.100.1:40000")
    private let bob = address("203.0.113.7:50000")

    func testEveryRequestTypeAtEveryLengthRepliesNoLargerThanItself() throws {
        var relay = EngineHarness()
        let token = try relay.connected(caller: alice, callee: bob)
        let cookie = relay.cookie(for: alice)
        let transaction = [UInt8](repeating: 5, count: 12)
        let requests: [RelayPacket] = [
            .cookieRequest(transaction: transaction),
            .allocate(transaction: transaction, cookie: cookie, caller: relay.callerKey, callee: [UInt8](repeating: 1, count: 32)),
            .allocate(transaction: transaction, cookie: [UInt8](repeating: 0, count: 16), caller: relay.callerKey, callee: relay.calleeKey),
            .join(transaction: transaction, cookie: cookie, side: .caller, token: token),
            .join(transaction: transaction, cookie: [UInt8](repeating: 0, count: 16), side: .caller, token: token),
            .leave(channel: 12_345),
            .data(channel: token.channel, payload: [1, 2, 3]),
        ]
        for request in requests {
            let full = request.serialized()
            for length in 0...full.count + 8 {
                let bytes = length <= full.count ? Array(full.prefix(length)) : full + [UInt8](repeating: 0, count: length - full.count)
                for source in [alice, address("192.0.2.1:1")] {
                    if let reply = relay.engine.handleRequest(bytes, from: source, now: relay.now) {
                        XCTAssertLessThanOrEqual(reply.count, bytes.count, "\(request.type) at \(length) bytes")
                    }
                }
            }
        }
        XCTAssertEqual(relay.engine.counters.snapshot().drops[.amplification], 0)
        XCTAssertGreaterThan(relay.engine.counters.snapshot().drops[.malformed] ?? 0, 100)
    }

    /// 20 000 seeded datagrams (random relay packets, mutated valid requests, stolen cookies and tokens) from
    /// random sources at a relay with one live session: every reply is no larger than its request, no new
    /// session appears, and DATA only ever goes from one proven side to the other.
    func testFuzzedSourcesGainNothing() throws {
        var relay = EngineHarness()
        let token = try relay.connected(caller: alice, callee: bob)
        let aliceCookie = relay.cookie(for: alice)
        var generator = SeededGenerator(seed: 0x414D_504C)
        var bytesIn = 0
        var bytesOut = 0
        for round in 0..<20_000 {
            let source = address("192.0.2.\(1 + generator.next() % 250):\(1 + generator.next() % 65_000)")
            var bytes: [UInt8]
            switch generator.next() % 5 {
            case 0:
                bytes = (0..<Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if !bytes.isEmpty { bytes[0] = 0x40 + UInt8(generator.next() % 16) }
            case 1:  // Alice's cookie and token, replayed from elsewhere
                bytes = RelayPacket.join(transaction: [UInt8](repeating: 1, count: 12), cookie: aliceCookie, side: .callee, token: token).serialized()
            case 2:
                bytes = RelayPacket.allocate(transaction: [UInt8](repeating: 2, count: 12), cookie: aliceCookie,
                                             caller: relay.callerKey, callee: relay.calleeKey).serialized()
            case 3:
                bytes = RelayPacket.data(channel: generator.next() % 2 == 0 ? token.channel : UInt32(generator.next() % 1_000),
                                         payload: [UInt8](repeating: 0x80, count: Int(generator.next() % 300))).serialized()
            default:
                var join = RelayPacket.join(transaction: [UInt8](repeating: 3, count: 12), cookie: aliceCookie, side: .caller, token: token).serialized()
                join[Int(generator.next() % UInt64(join.count))] ^= UInt8(truncatingIfNeeded: 1 | generator.next())
                bytes = join
            }
            bytesIn += bytes.count
            if let channel = RelayPacket.dataChannel(of: bytes) {
                XCTAssertNil(relay.engine.forward(channel: channel, length: bytes.count, from: source, now: relay.now.monotonic), "round \(round)")
            } else if let reply = relay.engine.handleRequest(bytes, from: source, now: relay.now) {
                XCTAssertLessThanOrEqual(reply.count, bytes.count, "round \(round)")
                bytesOut += reply.count
                if case .joined? = try? RelayPacket(parsing: reply) { XCTFail("round \(round): a stranger joined") }
            }
            if round % 1_000 == 0 { relay.advance(milliseconds: 100) }
        }
        XCTAssertEqual(relay.engine.sessionCount, 1)
        XCTAssertEqual(relay.engine.session(token.channel)?.caller, alice)
        XCTAssertEqual(relay.engine.session(token.channel)?.callee, bob)
        XCTAssertEqual(relay.engine.counters.snapshot().packetsForwarded, 0)
        XCTAssertLessThanOrEqual(bytesOut, bytesIn)
        // The real sides still reach each other.
        XCTAssertEqual(relay.forward(token.channel, from: alice), bob)
    }

    /// Per-session memory of an idle, fully joined session, measured as the resident-set growth for 100 000
    /// sessions (the session object, the tables and the per-IP counts): must stay under 2 KiB.
    func testIdleSessionsCostLessThanTwoKilobytesEach() throws {
        let count = 100_000
        var relay = EngineHarness(RelayLimits(maxSessions: count + 1, maxSessionsPerIP: count * 2))
        let before = residentBytes()
        for index in 0..<count {
            var key = [UInt8](repeating: 0, count: 32)
            key[0] = UInt8(index & 0xFF); key[1] = UInt8(index >> 8 & 0xFF); key[2] = UInt8(index >> 16)
            let caller = address("198.51.\(index >> 16 & 0xFF).\(index >> 8 & 0xFF):\(1_000 + index & 0xFF)")
            let token = try XCTUnwrap(relay.allocate(from: caller, caller: key)).get()
            _ = try XCTUnwrap(relay.join(token, from: address("203.0.\(index >> 16 & 0xFF).\(index >> 8 & 0xFF):\(2_000 + index & 0xFF)"))).get()
        }
        XCTAssertEqual(relay.engine.sessionCount, count)
        let perSession = Double(residentBytes() - before) / Double(count)
        print("relay memory: \(Int(perSession)) bytes per idle joined session (RSS delta over \(count) sessions)")
        XCTAssertLessThan(perSession, 2_048)
    }

    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4_096
    }
}
