import HoplineNet
import HoplineTestSupport
import XCTest

/// The relay wire formats (`notes/relay-protocol.md` v1): exact sizes, round trips, padding of requests, and
/// refusal (never a crash) of anything truncated, short, padded where it must not be, or out of range.
final class RelayPacketTests: XCTestCase {
    private let transaction = [UInt8](0..<12)
    private let cookie = [UInt8](100..<116)
    private let caller = [UInt8](repeating: 0xCA, count: 32)
    private let callee = [UInt8](repeating: 0xCE, count: 32)
    private var token: RelayToken {
        RelayToken(channel: 0xAB_CDEF, expiry: 1_800_000_000, callerKey: caller, calleeKey: callee,
                   mac: [UInt8](repeating: 0x11, count: 16))
    }
    private let load = RelayLoad(sessions: 7, capacity: 1_000, draining: true)

    private func allPackets() -> [RelayPacket] {
        [
            .data(channel: 0xAB_CDEF, payload: [0x80, 1, 2, 3]),
            .data(channel: 0, payload: []),
            .cookieRequest(transaction: transaction),
            .cookie(transaction: transaction, cookie: cookie, load: load),
            .allocate(transaction: transaction, cookie: cookie, caller: caller, callee: callee),
            .join(transaction: transaction, cookie: cookie, side: .callee, token: token),
            .joined(transaction: transaction, side: .caller, token: token, lifetimeSeconds: 600, load: load),
            .refused(transaction: transaction, reason: .sourceLimit),
            .drain(channel: 5),
            .leave(channel: 0xFF_FFFF),
        ]
    }

    func testSizesMatchTheContract() {
        let sizes = allPackets().map { $0.serialized().count }
        XCTAssertEqual(sizes, [8, 4, 64, 38, 128, 128, 113, 14, 4, 4])
        XCTAssertEqual(token.bytes.count, RelayToken.length)
        XCTAssertEqual(token.signedBytes, Array(token.bytes.prefix(72)))
        XCTAssertEqual(RelayPacket.dataHeader(channel: 0x01_0203), [0x40, 1, 2, 3])
    }

    func testEveryPacketRoundTripsAndIsClassifiedAsRelay() throws {
        for packet in allPackets() {
            let bytes = packet.serialized()
            XCTAssertEqual(bytes.first, packet.type.rawValue)
            XCTAssertEqual(DatagramClass.classify(bytes), .relay, "\(packet)")
            XCTAssertEqual(try RelayPacket(parsing: bytes), packet)
        }
        XCTAssertEqual(try RelayToken(parsing: token.bytes), token)
    }

    func testRequestsAcceptExtraPaddingRepliesDoNot() throws {
        for packet in allPackets() {
            let padded = packet.serialized() + [0, 0, 0]
            switch packet {
            case .cookieRequest, .allocate, .join, .data:
                XCTAssertNoThrow(try RelayPacket(parsing: padded), "\(packet)")
            default:
                XCTAssertThrowsError(try RelayPacket(parsing: padded), "padded \(packet)")
            }
        }
    }

    func testEveryTruncationThrows() {
        for packet in allPackets() {
            let bytes = packet.serialized()
            // DATA's payload is opaque: only a cut into its 4-byte header is detectable.
            let detectable: Int
            if case .data = packet { detectable = 4 } else { detectable = bytes.count }
            for length in 0..<detectable {
                XCTAssertThrowsError(try RelayPacket(parsing: Array(bytes.prefix(length))), "\(packet) cut to \(length)")
            }
        }
        XCTAssertThrowsError(try RelayToken(parsing: Array(token.bytes.dropLast())))
        XCTAssertThrowsError(try RelayToken(parsing: token.bytes + [0]))
    }

    func testUnpaddedRequestsAreRefusedWithTheMinimumInTheError() {
        let unpadded = [0x41] + transaction
        XCTAssertThrowsError(try RelayPacket(parsing: unpadded)) {
            XCTAssertEqual("\($0)", "invalid COOKIE_REQUEST length 13 (expected at least 64 bytes (pad requests))")
        }
        let allocate = RelayPacket.allocate(transaction: transaction, cookie: cookie, caller: caller, callee: callee)
        XCTAssertThrowsError(try RelayPacket(parsing: Array(allocate.serialized().prefix(93))))
    }

    func testOutOfRangeValuesThrow() {
        var join = RelayPacket.join(transaction: transaction, cookie: cookie, side: .caller, token: token).serialized()
        join[29] = 3
        XCTAssertThrowsError(try RelayPacket(parsing: join)) {
            XCTAssertEqual("\($0)", "invalid side 3 (expected 1 (caller) or 2 (callee))")
        }
        var refused = RelayPacket.refused(transaction: transaction, reason: .full).serialized()
        refused[13] = 9
        XCTAssertThrowsError(try RelayPacket(parsing: refused))
        refused[13] = 0
        XCTAssertThrowsError(try RelayPacket(parsing: refused))
        for type in UInt8(0x49)...0x4F {
            XCTAssertThrowsError(try RelayPacket(parsing: [type] + [UInt8](repeating: 0, count: 200)))
            XCTAssertTrue(RelayPacket.isRelayPacket(type))
        }
        var badChannel = token.bytes
        badChannel[0] = 1
        XCTAssertThrowsError(try RelayToken(parsing: badChannel))
    }

    func testDataChannelIsReadInPlace() {
        let bytes = RelayPacket.data(channel: 0x12_3456, payload: [9, 9]).serialized()
        XCTAssertEqual(RelayPacket.dataChannel(of: bytes), 0x12_3456)
        XCTAssertEqual(RelayPacket.dataChannel(of: bytes[...]), 0x12_3456)
        XCTAssertNil(RelayPacket.dataChannel(of: Array(bytes.prefix(3))))
        XCTAssertNil(RelayPacket.dataChannel(of: [0x47, 0, 0, 1]))
        XCTAssertNil(RelayPacket.dataChannel(of: [UInt8]()))
    }

    func testFirstByteRangeAndDemultiplexing() {
        XCTAssertFalse(RelayPacket.isRelayPacket(0x3F))
        XCTAssertFalse(RelayPacket.isRelayPacket(0x50))
        XCTAssertEqual(DatagramClass.classify([0x40]), .relay)
        XCTAssertEqual(DatagramClass.classify([0x4F]), .relay)
        XCTAssertEqual(DatagramClass.classify([0x50]), .control(.handshakeInit))
        XCTAssertEqual(RelayRefusal.allCases.map(\.rawValue), Array(1...8))
        XCTAssertEqual(RelayRefusal.badCookie.description, "bad cookie (request a new one)")
        XCTAssertEqual(RelaySide.caller.other, .callee)
    }

    /// Random datagrams with every relay type byte: each parses or throws; none traps. 20 000 cases,
    /// seeded so a failure reproduces; every success re-serializes to a packet that parses to itself.
    func testRandomBytesNeverCrashTheParser() {
        var generator = SeededGenerator(seed: 0x5245_4C41)
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 160)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = 0x40 + UInt8(generator.next() % 16) }
            if bytes.count > 29, generator.next() % 2 == 0 { bytes[29] = UInt8(1 + generator.next() % 2) }
            if bytes.count > 30, generator.next() % 2 == 0 { bytes[30] = 0 }
            if let packet = try? RelayPacket(parsing: bytes) {
                parsed += 1
                XCTAssertEqual(try? RelayPacket(parsing: packet.serialized()), packet)
            }
            _ = RelayPacket.dataChannel(of: bytes)
            _ = DatagramClass.classify(bytes)
        }
        XCTAssertGreaterThan(parsed, 1_000)
    }
}
