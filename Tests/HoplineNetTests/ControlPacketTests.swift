import HoplineNet
import NIOCore
import HoplineTestSupport
import XCTest

/// The control-packet wire formats and the first-byte demultiplexer: exact round trips, and refusal (never
/// a crash) of anything truncated, padded or out of range.
final class ControlPacketTests: XCTestCase {
    private let transaction = [UInt8](0..<12)
    private let key = [UInt8](repeating: 7, count: 32)

    private func address(_ text: String) throws -> PeerAddress { try PeerAddress(parsing: text) }

    private func allPackets() throws -> [ControlPacket] {
        let candidates = [
            Candidate(kind: .host, address: try address("192.168.1.2:4730")),
            Candidate(kind: .serverReflexive, address: try address("[2001:db8::1]:5000")),
            Candidate(kind: .relayed, address: try address("10.0.0.9:7"), relayToken: [UInt8](repeating: 9, count: Candidate.relayTokenLength)),
        ]
        return [
            .handshakeInit(session: 0xDEAD_BEEF, message: [1, 2, 3]),
            .handshakeResponse(session: 1, message: [9]),
            .sealed(session: 2, nonce: .max, ciphertext: [UInt8](repeating: 5, count: 16)),
            .handshakeRefused(session: 3, reason: .undecryptable),
            .bindRequest(transaction: transaction),
            .bindResponse(transaction: transaction, observed: try address("203.0.113.5:65535")),
            .identityRequest(transaction: transaction),
            .identityResponse(transaction: transaction, staticKey: key),
            .connectivityCheck(transaction: transaction, session: 4),
            .connectivityCheckResponse(transaction: transaction, session: 4, observed: try address("[::1]:1")),
            .rendezvousRegister(RendezvousRegistration(
                staticKey: key, signingKey: key, timestamp: 42, candidates: candidates,
                signature: [UInt8](repeating: 1, count: 64))),
            .rendezvousRegistered(timestamp: 42, observed: try address("1.2.3.4:5"), lifetimeSeconds: 60),
            .rendezvousLookup(transaction: transaction, cookie: ControlPacket.noCookie, target: key, session: 5, candidates: candidates),
            .rendezvousLookup(
                transaction: transaction, cookie: [UInt8](repeating: 3, count: 16), target: key, session: 5, candidates: []),
            .rendezvousLookupResult(transaction: transaction, found: true, candidates: candidates),
            .rendezvousLookupResult(transaction: transaction, found: false, candidates: []),
            .rendezvousIntroduce(session: 6, candidates: candidates),
            .rendezvousCookie(transaction: transaction, cookie: [UInt8](repeating: 7, count: 16)),
            .handshakeInitWithCookie(session: 8, cookie: [UInt8](repeating: 9, count: 16), message: [1, 2, 3]),
            .handshakeCookie(session: 8, cookie: [UInt8](repeating: 9, count: 16)),
        ]
    }

    func testEveryPacketRoundTripsAndIsClassifiedAsControl() throws {
        for packet in try allPackets() {
            let bytes = packet.serialized()
            XCTAssertEqual(DatagramClass.classify(bytes), .control(packet.type), "\(packet)")
            XCTAssertEqual(try ControlPacket(parsing: bytes), packet)
        }
    }

    func testTruncatedOrPaddedPacketsAreRefused() throws {
        for packet in try allPackets() {
            let bytes = packet.serialized()
            // Handshake messages and sealed packets end in a variable-length body: only a cut into the
            // header (and, for sealed, into the 16-byte tag) is detectable.
            var detectable = bytes.count
            switch packet {
            case .handshakeInit, .handshakeResponse: detectable = 6
            case .handshakeInitWithCookie: detectable = 1 + 4 + 16 + 1
            case .sealed: detectable = 1 + 4 + 8 + 16
            case .bindRequest, .identityRequest, .connectivityCheck:
                // Requests end in zero padding: more zeros are fine, anything else is not.
                detectable = packet.type == .connectivityCheck ? 1 + 12 + 4 : 1 + 12
                XCTAssertEqual(try ControlPacket(parsing: bytes + [0]), packet)
                XCTAssertThrowsError(try ControlPacket(parsing: bytes + [1]), "non-zero padding \(packet)")
            default: XCTAssertThrowsError(try ControlPacket(parsing: bytes + [0]), "padded \(packet)")
            }
            for length in 1..<detectable {
                XCTAssertThrowsError(try ControlPacket(parsing: Array(bytes.prefix(length))), "\(packet) cut to \(length)")
            }
        }
    }

    /// No answer to an unauthenticated request is larger than the request: requests are padded to 48 bytes,
    /// and their largest answers (an IPv6 observed address, a 32-byte key) fit in that.
    func testRequestsAreAtLeastAsLargeAsTheirAnswers() throws {
        let v6 = try address("[2001:db8::1]:65535")
        let pairs: [(ControlPacket, ControlPacket)] = [
            (.bindRequest(transaction: transaction), .bindResponse(transaction: transaction, observed: v6)),
            (.identityRequest(transaction: transaction), .identityResponse(transaction: transaction, staticKey: key)),
            (.connectivityCheck(transaction: transaction, session: 1),
             .connectivityCheckResponse(transaction: transaction, session: 1, observed: v6)),
            (.rendezvousLookup(transaction: transaction, cookie: ControlPacket.noCookie, target: key, session: 1, candidates: []),
             .rendezvousCookie(transaction: transaction, cookie: key.prefix(16).map { $0 })),
        ]
        for (request, answer) in pairs {
            XCTAssertGreaterThanOrEqual(request.serialized().count, answer.serialized().count, "\(request)")
        }
        XCTAssertEqual(ControlPacket.bindRequest(transaction: transaction).serialized().count, ControlPacket.paddedRequestLength)
    }

    func testErrorsNameTheField() {
        XCTAssertThrowsError(try ControlPacket(parsing: [0x55] + transaction + [4, 0])) {
            XCTAssertEqual("\($0)", "truncated control packet: field 'observed' needs 2 byte(s), 1 left")
        }
        XCTAssertThrowsError(try ControlPacket(parsing: [0x55] + transaction + [5, 0, 1, 1, 2, 3, 4])) {
            XCTAssertEqual("\($0)", "invalid observed family 5 (expected 4 or 6)")
        }
    }

    func testDemultiplexingByFirstByte() {
        XCTAssertEqual(DatagramClass.classify([]), .unknown)
        XCTAssertEqual(DatagramClass.classify([0x00, 0x01]), .unknown)  // STUN
        XCTAssertEqual(DatagramClass.classify([0x17, 0xFE]), .unknown)  // DTLS
        XCTAssertEqual(DatagramClass.classify([0x80, 111]), .srtp)
        XCTAssertEqual(DatagramClass.classify([0x80, 200]), .srtcp)
        XCTAssertEqual(DatagramClass.classify([0x80]), .unknown)
        XCTAssertEqual(DatagramClass.classify([0x5F]), .control(.rendezvousCookie))
        XCTAssertEqual(DatagramClass.classify([0x60]), .control(.handshakeInitWithCookie))
        XCTAssertEqual(DatagramClass.classify([0x61]), .control(.handshakeCookie))
        XCTAssertEqual(DatagramClass.classify([0x62]), .unknown)
        XCTAssertEqual(DatagramClass.classify([0xC0, 111]), .unknown)
    }

    /// Random datagrams with every control type byte: each parses or throws; none traps. 20 000 cases,
    /// seeded so a failure reproduces.
    func testRandomBytesNeverCrashTheParsers() {
        var generator = SeededGenerator(seed: 0x484F_504C)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 80)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = 0x50 + UInt8(generator.next() % 18) }
            _ = try? ControlPacket(parsing: bytes)
            _ = try? SignalMessage(parsing: bytes)
            _ = try? CallAnswer(parsing: bytes)
            _ = try? CallOffer(parsing: bytes)
            _ = DatagramClass.classify(bytes)
        }
    }

    func testSignalMessagesRoundTrip() throws {
        let offer = CallOffer(bitrate: 32_000, frameMilliseconds: 20, forwardErrorCorrection: true, discontinuousTransmission: false)
        let messages: [SignalMessage] = [
            .ringing(sequence: 1), .accept(sequence: 2, answer: .accepted(offer)), .reject(sequence: 3), .busy(sequence: 4),
            .bye(sequence: 5, reason: .interrupted), .ack(acknowledged: 5), .keepalive(sentAt: 123), .keepaliveEcho(sentAt: .max),
            .rekey(sequence: 6, epoch: 0xFFFF_FFFF),
        ]
        for message in messages { XCTAssertEqual(try SignalMessage(parsing: message.serialized()), message) }
        XCTAssertEqual(messages.map(\.reliableSequence), [1, 2, 3, 4, 5, nil, nil, nil, 6])
        XCTAssertThrowsError(try SignalMessage(parsing: [9, 0, 0, 0, 6, 0, 0, 1]), "a rekey cut short")
        for answer in [CallAnswer.ringing, .accepted(offer), .rejected, .busy, .notAllowed] {
            XCTAssertEqual(try CallAnswer(parsing: answer.serialized()), answer)
        }
        XCTAssertThrowsError(try CallOffer(parsing: [1] + Array(offer.serialized().dropFirst()))) {
            XCTAssertEqual("\($0)", "invalid offer version 1 (expected 2)")
        }
        var stamped = offer
        stamped.timestamp = 1_800_000_000_123
        XCTAssertEqual(try CallOffer(parsing: stamped.serialized()), stamped)
        // RED is flags bit 4: off unless offered, and an offer from before RED (bit clear) parses as "no RED".
        XCTAssertFalse(offer.redundantAudio)
        var red = offer
        red.redundantAudio = true
        XCTAssertEqual(red.serialized()[6], offer.serialized()[6] | 4)
        XCTAssertEqual(try CallOffer(parsing: red.serialized()), red)
        XCTAssertFalse(try CallOffer(parsing: offer.serialized()).redundantAudio)
    }

    func testRetransmissionBacksOffThenGivesUp() {
        let schedule = RetransmissionSchedule(initialMilliseconds: 150, maximumMilliseconds: 1_200, giveUpMilliseconds: 5_000)
        XCTAssertEqual((0..<6).map { schedule.delay(beforeRetry: $0) }, [150, 300, 600, 1_200, 1_200, 1_200])
        var pending = PendingTransmission(bytes: [1], now: 0, schedule: schedule)
        XCTAssertEqual(pending.poll(now: 149, schedule: schedule), .wait)
        XCTAssertEqual(pending.poll(now: 150, schedule: schedule), .resend)
        XCTAssertEqual(pending.poll(now: 449, schedule: schedule), .wait)
        XCTAssertEqual(pending.poll(now: 450, schedule: schedule), .resend)
        var resends = 2
        var now = 450.0
        while now < 6_000 {
            now += 10
            switch pending.poll(now: now, schedule: schedule) {
            case .wait: continue
            case .resend: resends += 1
            case .giveUp:
                XCTAssertEqual(now, 5_000)
                XCTAssertEqual(resends, 6)  // 150, 450, 1050, 2250, 3450, 4650
                return
            }
        }
        XCTFail("never gave up")
    }
}
