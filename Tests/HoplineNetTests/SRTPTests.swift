import HoplineCore
import HoplineNet
import HoplineTestSupport
import XCTest

/// SRTP with AEAD_AES_128_GCM on the real libsrtp2: round trips, confidentiality, replay, tampering,
/// truncation, wrong keys, reordering and SRTCP. Every packet is built with `RTPPacket` or by hand as RTCP.
final class SRTPTests: XCTestCase {
    // MARK: Known answer

    /// The reference packets of libsrtp's own test driver (test/srtp_driver.c, srtp_validate_gcm): proves the
    /// sessions really use AEAD_AES_128_GCM with a 16-byte tag and RFC 3711 key derivation, byte for byte.
    func testProtectMatchesLibsrtpReferencePacketsForAEADAES128GCM() throws {
        let keys = try SRTPKeyMaterial(deriving: Array(0x00...0x0F) + Array(0xA0...0xAB))
        let sender = try SRTPSession(direction: .outbound, keys: keys)
        let receiver = try SRTPSession(direction: .inbound, keys: keys)
        let rtp: [UInt8] = [0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE]
            + [UInt8](repeating: 0xAB, count: 16)
        let srtp: [UInt8] = [
            0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE, 0xC5, 0x00, 0x2E, 0xDE,
            0x04, 0xCF, 0xDD, 0x2E, 0xB9, 0x11, 0x59, 0xE0, 0x88, 0x0A, 0xA0, 0x6E, 0xD2, 0x97, 0x68, 0x26,
            0xF7, 0x96, 0xB2, 0x01, 0xDF, 0x31, 0x31, 0xA1, 0x27, 0xE8, 0xA3, 0x92,
        ]
        let rtcp: [UInt8] = [0x81, 0xC8, 0x00, 0x0B, 0xCA, 0xFE, 0xBA, 0xBE] + [UInt8](repeating: 0xAB, count: 16)
        let srtcp: [UInt8] = [
            0x81, 0xC8, 0x00, 0x0B, 0xCA, 0xFE, 0xBA, 0xBE, 0xC9, 0x8B, 0x8B, 0x5D, 0xF0, 0x39, 0x2A, 0x55,
            0x85, 0x2B, 0x6C, 0x21, 0xAC, 0x8E, 0x70, 0x25, 0xC5, 0x2C, 0x6F, 0xBE, 0xA2, 0xB3, 0xB4, 0x46,
            0xEA, 0x31, 0x12, 0x3B, 0xA8, 0x8C, 0xE6, 0x1E, 0x80, 0x00, 0x00, 0x01,
        ]
        XCTAssertEqual(try sender.protect(rtp), srtp)
        XCTAssertEqual(try sender.protectRTCP(rtcp), srtcp)
        XCTAssertEqual(try receiver.unprotect(srtp), rtp)
        XCTAssertEqual(try receiver.unprotectRTCP(srtcp), rtcp)
        XCTAssertEqual(SRTPSession.rtpOverhead, srtp.count - rtp.count)
        XCTAssertEqual(SRTPSession.rtcpOverhead, srtcp.count - rtcp.count)
        XCTAssertTrue(SRTPLibrary.version.contains("2."), SRTPLibrary.version)
    }

    // MARK: Round trips

    func testManyPacketsRoundTripAcrossSequenceWraparound() throws {
        let (sender, receiver) = try sessions(seed: 1)
        var random = SeededGenerator(seed: 2)
        // Two SSRCs share the session (ssrc_any): one wraps 65535 -> 0 after 536 packets (the rollover counter
        // goes to 1), the other starts low and does not wrap.
        var streams: [(ssrc: UInt32, sequence: UInt16)] = [(0x1111_2222, 65_000), (0x3333_4444, 7)]
        for index in 0..<2_000 {
            let stream = index % 5 == 4 ? 1 : 0
            let useHeaderOptions = index % 50 == 0
            let packet = RTPPacket(
                marker: index == 0, sequenceNumber: streams[stream].sequence, timestamp: UInt32(index) &* 960,
                ssrc: streams[stream].ssrc, csrcs: useHeaderOptions ? [9, 10] : [],
                headerExtension: useHeaderOptions ? .init(profile: 0xBEDE, data: [1, 2, 3, 4]) : nil,
                payload: randomBytes(Int.random(in: 1...300, using: &random), using: &random))
            streams[stream].sequence &+= 1
            let plain = packet.serialized()
            let protected = try sender.protect(plain)
            XCTAssertEqual(protected.count, plain.count + SRTPSession.rtpOverhead)
            let recovered = try receiver.unprotect(protected)
            XCTAssertEqual(recovered, plain, "packet \(index)")
            XCTAssertEqual(try RTPPacket(parsing: recovered), packet, "packet \(index)")
        }
        XCTAssertEqual(streams[0].sequence, 65_000 &+ 1_600, "the first stream wrapped")
    }

    func testEmptyPayloadRoundTrips() throws {
        let (sender, receiver) = try sessions(seed: 3)
        let plain = RTPPacket(sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: []).serialized()
        XCTAssertEqual(try receiver.unprotect(try sender.protect(plain)), plain)
    }

    // MARK: Confidentiality

    func testProtectedPacketHidesThePayloadAndKeepsTheHeaderReadable() throws {
        let (sender, _) = try sessions(seed: 4)
        var random = SeededGenerator(seed: 5)
        let payload = randomBytes(160, using: &random)
        let first = RTPPacket(sequenceNumber: 100, timestamp: 0, ssrc: 0xABCD_EF01, payload: payload).serialized()
        let second = RTPPacket(sequenceNumber: 101, timestamp: 0, ssrc: 0xABCD_EF01, payload: payload).serialized()
        let protected = try sender.protect(first)
        let protectedAgain = try sender.protect(second)

        XCTAssertEqual(Array(protected[..<12]), Array(first[..<12]), "the RTP header travels in clear")
        let ciphertext = Array(protected[12...])
        for start in 0...(payload.count - 8) {
            let window = Array(payload[start..<(start + 8)])
            XCTAssertFalse(contains(ciphertext, window), "payload bytes \(start)..<\(start + 8) appear in clear")
        }
        // Random bytes agree with the plaintext at about 160/256 positions; 8 or more happens with p < 1e-6.
        let sameBytes = zip(ciphertext, payload).filter { $0 == $1 }.count
        XCTAssertLessThan(sameBytes, 8)
        // The same payload under the next index encrypts differently (a fresh GCM nonce per packet).
        XCTAssertNotEqual(Array(protected[12..<(12 + payload.count)]), Array(protectedAgain[12..<(12 + payload.count)]))
    }

    // MARK: Replay and reordering

    func testReplayedPacketIsRejectedAsReplayedAndTheStreamContinues() throws {
        let (sender, receiver) = try sessions(seed: 6)
        let protected = try (0..<6).map { try sender.protect(rtp(sequence: 40_000 &+ UInt16($0))) }
        for packet in protected[0..<5] { _ = try receiver.unprotect(packet) }

        let replay = rejection { () throws(SRTPError) in try receiver.unprotect(protected[2]) }
        XCTAssertEqual(replay, .replayed(function: "srtp_unprotect", status: .replayFailure))
        XCTAssertEqual(replay?.category, .replayed)
        XCTAssertEqual(
            replay.map { "\($0)" },
            "srtp_unprotect rejected a replayed packet: "
                + "srtp_err_status_replay_fail (replay check failed: index already seen)")
        XCTAssertNoThrow(try receiver.unprotect(protected[5]), "a replay does not disturb the stream")
        XCTAssertEqual(rejection { () throws(SRTPError) in try receiver.unprotect(protected[5]) }?.category, .replayed)
    }

    /// Packets up to `replayWindow - 1` indices behind the newest are accepted once; 1024 behind is too old
    /// (libsrtp2 keeps a window of `replayWindow` indices including the newest).
    func testReorderedPacketsWithinTheWindowAreAcceptedAndOlderOnesRejected() throws {
        let (sender, receiver) = try sessions(seed: 7)
        let window = SRTPSession.defaultReplayWindow
        let protected = try (0...(window + 1)).map { try sender.protect(rtp(sequence: 65_300 &+ UInt16($0))) }
        // Deliver 0 and 3...1025 in shuffled blocks of 64 (reordering within the window, across the wrap).
        var random = SeededGenerator(seed: 8)
        var order = [0] + Array(3...(window + 1))
        for blockStart in stride(from: 1, to: order.count, by: 64) {
            let block = blockStart..<min(blockStart + 64, order.count)
            order.replaceSubrange(block, with: order[block].shuffled(using: &random))
        }
        for index in order {
            XCTAssertNoThrow(try receiver.unprotect(protected[index]), "packet \(index)")
        }
        // Newest is 1025: packet 2 is 1023 behind (inside the window), packet 1 is 1024 behind (outside).
        XCTAssertNoThrow(try receiver.unprotect(protected[2]))
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try receiver.unprotect(protected[1]) },
            .replayed(function: "srtp_unprotect", status: .replayTooOld))
    }

    // MARK: Tampering, truncation, wrong keys

    func testEveryFlippedBitIsRejectedAsForged() throws {
        let (sender, receiver) = try sessions(seed: 9)
        var random = SeededGenerator(seed: 10)
        let earlier = try sender.protect(rtp(sequence: 997, payload: randomBytes(40, using: &random)))
        let protected = try sender.protect(rtp(sequence: 1_000, payload: randomBytes(40, using: &random)))
        _ = try receiver.unprotect(earlier)  // the stream exists, so flipped indices go through the replay check

        var categories: [SRTPError.Category: Int] = [:]
        for bit in 0..<(protected.count * 8) {
            var tampered = protected
            tampered[bit / 8] ^= 1 << (bit % 8)
            let category = rejection { () throws(SRTPError) in try receiver.unprotect(tampered) }?.category
            if bit < 8 {
                // The first byte holds the version (checked before libsrtp2) and the CSRC count and extension
                // flag, which can make the header longer than the packet: malformed; otherwise forged.
                XCTAssertTrue(
                    category == .forged || category == .malformed, "bit \(bit): \(String(describing: category))")
            } else {
                XCTAssertEqual(category, .forged, "bit \(bit) of \(protected.count * 8) (header, payload or tag)")
            }
            categories[category ?? .other, default: 0] += 1
        }
        XCTAssertEqual(categories[.forged, default: 0] + categories[.malformed, default: 0], protected.count * 8)
        XCTAssertNoThrow(try receiver.unprotect(protected), "failed forgeries leave the index unused")
    }

    func testEveryTruncationIsRejectedWithoutCrashing() throws {
        let (sender, receiver) = try sessions(seed: 11)
        let protected = try sender.protect(rtp(sequence: 5, payload: [UInt8](repeating: 0x5A, count: 60)))
        let smallest = 12 + SRTPSession.rtpOverhead
        for length in 0..<protected.count {
            let error = rejection { () throws(SRTPError) in try receiver.unprotect(Array(protected[..<length])) }
            // Shorter than header plus tag: malformed before libsrtp2 sees it; longer: the tag does not match.
            XCTAssertEqual(error?.category, length < smallest ? .malformed : .forged, "length \(length)")
        }
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try receiver.unprotect(protected + [0]) }?.category, .forged,
            "one byte too many")
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try receiver.unprotect(Array(protected[..<20])) }.map { "\($0)" },
            "srtp_unprotect rejected a malformed 20-byte packet: "
                + "the 12-byte RTP header leaves no room for the 16-byte authentication tag")
        XCTAssertNoThrow(try receiver.unprotect(protected))
    }

    func testPacketsProtectedWithOtherKeysAreRejectedAsForged() throws {
        let sender = try SRTPSession(direction: .outbound, keys: keys(seed: 12))
        let stranger = try SRTPSession(direction: .inbound, keys: keys(seed: 13))
        var nearlyRight = try keys(seed: 12).masterSalt
        nearlyRight[11] ^= 1
        let saltOff = try SRTPSession(
            direction: .inbound, keys: SRTPKeyMaterial(masterKey: keys(seed: 12).masterKey, masterSalt: nearlyRight))
        for index in 0..<20 {
            let protected = try sender.protect(rtp(sequence: UInt16(index)))
            for receiver in [stranger, saltOff] {
                XCTAssertEqual(
                    rejection { () throws(SRTPError) in try receiver.unprotect(protected) },
                    .forged(function: "srtp_unprotect", status: .authenticationFailure))
            }
        }
        let report = try sender.protectRTCP(receiverReport())
        XCTAssertEqual(rejection { () throws(SRTPError) in try stranger.unprotectRTCP(report) }?.category, .forged)
    }

    /// Seeded random datagrams, half of them with a valid RTP/RTCP version so they reach libsrtp2: none is
    /// accepted, none crashes, and a real packet still gets through afterwards.
    func testRandomDatagramsAreRejectedWithoutCrashing() throws {
        let (sender, receiver) = try sessions(seed: 14)
        var random = SeededGenerator(seed: 15)
        var categories: [SRTPError.Category: Int] = [:]
        for attempt in 0..<4_000 {
            var bytes = randomBytes(Int.random(in: 0...200, using: &random), using: &random)
            if attempt % 2 == 0, !bytes.isEmpty { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            let error = attempt % 4 < 2
                ? rejection { () throws(SRTPError) in try receiver.unprotect(bytes) }
                : rejection { () throws(SRTPError) in try receiver.unprotectRTCP(bytes) }
            XCTAssertNotNil(error, "attempt \(attempt) was accepted")
            categories[error?.category ?? .other, default: 0] += 1
        }
        XCTAssertEqual(categories[.other, default: 0], 0, "\(categories)")
        // Measured with these seeds: 1488 forged, 2512 malformed. Over 500 forged proves the garbage really
        // reached libsrtp2's authentication rather than stopping at the length checks.
        XCTAssertGreaterThan(categories[.forged, default: 0], 500, "enough garbage reached libsrtp2: \(categories)")
        XCTAssertNoThrow(try receiver.unprotect(try sender.protect(rtp(sequence: 1))))
    }

    // MARK: SRTCP

    func testSRTCPRoundTripsAndRejectsReplaysTamperingAndTruncation() throws {
        let (sender, receiver) = try sessions(seed: 16)
        var protected: [[UInt8]] = []
        for lost in 0..<10 {
            let report = receiverReport(cumulativeLost: UInt32(lost))
            let packet = try sender.protectRTCP(report)
            XCTAssertEqual(packet.count, report.count + SRTPSession.rtcpOverhead)
            XCTAssertEqual(Array(packet[..<8]), Array(report[..<8]), "RTCP header and sender SSRC travel in clear")
            XCTAssertFalse(contains(packet, Array(report[8...])), "the report block is encrypted")
            XCTAssertEqual(packet.last, UInt8(lost + 1), "SRTCP index counts from 1")
            XCTAssertEqual(try receiver.unprotectRTCP(packet), report)
            protected.append(packet)
        }
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try receiver.unprotectRTCP(protected[4]) },
            .replayed(function: "srtp_unprotect_rtcp", status: .replayFailure))

        let fresh = try sender.protectRTCP(receiverReport(cumulativeLost: 99))
        for bit in 0..<(fresh.count * 8) where bit >= 8 {  // byte 0 holds the version: malformed, tested below
            var tampered = fresh
            tampered[bit / 8] ^= 1 << (bit % 8)
            let category = rejection { () throws(SRTPError) in try receiver.unprotectRTCP(tampered) }?.category
            // A flipped index bit can name an index already received or far behind: replayed; else forged.
            if bit >= (fresh.count - 4) * 8 {
                XCTAssertTrue(
                    category == .forged || category == .replayed, "index bit \(bit): \(String(describing: category))")
            } else {
                XCTAssertEqual(category, .forged, "bit \(bit)")
            }
        }
        let smallest = 8 + SRTPSession.rtcpOverhead
        for length in 0..<fresh.count {
            let category = rejection { () throws(SRTPError) in try receiver.unprotectRTCP(Array(fresh[..<length])) }?
                .category
            if length < smallest {
                XCTAssertEqual(category, .malformed, "length \(length)")
            } else {
                // The last four bytes left are read as the E flag and index: forged, or replayed if they happen
                // to name an index already seen or too old.
                XCTAssertTrue(
                    category == .forged || category == .replayed, "length \(length): \(String(describing: category))")
            }
        }
        var wrongVersion = fresh
        wrongVersion[0] &= 0x3F
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try receiver.unprotectRTCP(wrongVersion) },
            .malformed(function: "srtp_unprotect_rtcp", length: fresh.count, problem: "RTCP version 0 (expected 2)"))
        XCTAssertEqual(try receiver.unprotectRTCP(fresh), receiverReport(cumulativeLost: 99))
    }

    // MARK: Sender-side checks and configuration

    func testProtectRefusesMalformedPacketsAndIndexReuse() throws {
        let (sender, _) = try sessions(seed: 17)
        let packet = rtp(sequence: 9)
        _ = try sender.protect(packet)
        let reuse = rejection { () throws(SRTPError) in try sender.protect(packet) }
        XCTAssertEqual(reuse, .replayed(function: "srtp_protect", status: .replayFailure))
        XCTAssertTrue(reuse.map { "\($0)" }?.hasPrefix("srtp_protect refused to reuse a packet index") == true)

        XCTAssertEqual(
            rejection { () throws(SRTPError) in try sender.protect([0x80, 0x6F, 0, 1]) },
            .malformed(function: "srtp_protect", length: 4, problem: "shorter than the 12-byte RTP header"))
        var versionOne = rtp(sequence: 10)
        versionOne[0] = 0x40
        XCTAssertEqual(rejection { () throws(SRTPError) in try sender.protect(versionOne) }?.category, .malformed)
        var tooManyCSRCs = rtp(sequence: 11, payload: [1, 2, 3, 4])
        tooManyCSRCs[0] |= 0x0F
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try sender.protect(tooManyCSRCs) }.map { "\($0)" },
            "srtp_protect rejected a malformed 16-byte packet: its 15 CSRCs need a 72-byte header")
        let huge = rtp(sequence: 12, payload: [UInt8](repeating: 0, count: 65_500))
        XCTAssertEqual(rejection { () throws(SRTPError) in try sender.protect(huge) }?.category, .malformed)
        XCTAssertEqual(
            rejection { () throws(SRTPError) in try sender.protectRTCP([0x81, 0xC9]) }?.category, .malformed)
    }

    func testReplayWindowOutsideLibsrtpLimitsIsRefused() throws {
        let keys = try keys(seed: 18)
        for size in [0, 63, 32_768] {
            XCTAssertThrowsError(try SRTPSession(direction: .inbound, keys: keys, replayWindow: size)) { error in
                XCTAssertEqual(error as? SRTPError, .invalidReplayWindow(size))
                XCTAssertEqual(
                    "\(error)", "SRTP replay window of \(size) packets is out of range (expected 64 to 32767)")
            }
        }
        XCTAssertEqual(try SRTPSession(direction: .inbound, keys: keys, replayWindow: 64).replayWindow, 64)
    }

    func testKeyMaterialIsValidatedAndNeverPrinted() throws {
        let bytes = Array(UInt8(1)...UInt8(28))
        let keys = try SRTPKeyMaterial(deriving: bytes)
        XCTAssertEqual(keys.masterKey, Array(bytes[..<16]))
        XCTAssertEqual(keys.masterSalt, Array(bytes[16...]))
        for length in [0, 27, 29, 30] {
            XCTAssertThrowsError(try SRTPKeyMaterial(deriving: [UInt8](repeating: 7, count: length))) { error in
                XCTAssertEqual("\(error)", "SRTP key material is \(length) bytes (expected 28 for AEAD_AES_128_GCM)")
            }
        }
        let shortKey = [UInt8](repeating: 1, count: 15)
        XCTAssertThrowsError(try SRTPKeyMaterial(masterKey: shortKey, masterSalt: Array(bytes[16...]))) {
            XCTAssertEqual($0 as? SRTPKeyMaterialError, .wrongLength(of: "master key", length: 15, expected: 16))
        }
        XCTAssertThrowsError(try SRTPKeyMaterial(masterKey: Array(bytes[..<16]), masterSalt: [1])) {
            XCTAssertEqual("\($0)", "master salt is 1 bytes (expected 12 for AEAD_AES_128_GCM)")
        }
        XCTAssertThrowsError(try SRTPKeyMaterial(deriving: [UInt8](repeating: 0, count: 16) + Array(bytes[16...]))) {
            XCTAssertEqual($0 as? SRTPKeyMaterialError, .allZeroKey)
        }
        var dumped = ""
        dump(keys, to: &dumped)
        for text in ["\(keys)", String(reflecting: keys), dumped] {
            XCTAssertFalse(
                text.contains("master") || text.contains("[1, 2") || text.contains("17"), "key bytes printed: \(text)")
            XCTAssertTrue(text.contains("SRTPKeyMaterial"), text)
        }
    }

    // MARK: Helpers

    private func sessions(seed: UInt64) throws -> (sender: SRTPSession, receiver: SRTPSession) {
        let keys = try keys(seed: seed)
        return (try SRTPSession(direction: .outbound, keys: keys), try SRTPSession(direction: .inbound, keys: keys))
    }

    private func keys(seed: UInt64) throws -> SRTPKeyMaterial {
        var random = SeededGenerator(seed: seed)
        return try SRTPKeyMaterial(deriving: randomBytes(SRTPKeyMaterial.length, using: &random))
    }

    private func rtp(sequence: UInt16, payload: [UInt8] = [0xF8, 0xFF, 0xFE, 1, 2, 3]) -> [UInt8] {
        RTPPacket(sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960, ssrc: 0x5EED_0001, payload: payload)
            .serialized()
    }

    /// An RTCP receiver report (RFC 3550 section 6.4.2) with one report block: 32 bytes.
    private func receiverReport(cumulativeLost: UInt32 = 3) -> [UInt8] {
        var bytes: [UInt8] = [0x81, 201, 0, 7]
        for word in [0x5EED_0002, 0x5EED_0001, 0x0A00_0000 | cumulativeLost, 0x0001_0400, 12, 0x1234_5678, 655]
        as [UInt32] {
            bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        return bytes
    }

    private func rejection(_ operation: () throws(SRTPError) -> [UInt8]) -> SRTPError? {
        do {
            _ = try operation()
            return nil
        } catch {
            return error
        }
    }

    private func randomBytes(_ count: Int, using random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}
