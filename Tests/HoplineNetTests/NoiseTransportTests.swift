import Crypto
import HoplineNet
import HoplineTestSupport
import XCTest

/// Transport cipher states after a handshake: explicit nonces out of order, wrong nonce or associated data,
/// the reserved nonce, counted-mode failures, and the replay window.
final class NoiseTransportTests: XCTestCase {
    func completedTransports() throws -> (initiator: NoiseTransport, responder: NoiseTransport) {
        let (initiator, responder) = try NoiseTestSupport.completedHandshakes()
        return (try initiator.split(), try responder.split())
    }

    func testExplicitNoncesDecryptOutOfOrderAndWithLoss() throws {
        let (initiator, responder) = try completedTransports()
        var generator = SeededGenerator(seed: 3)
        let packets = try (0..<200).map { nonce -> (UInt64, [UInt8], [UInt8]) in
            let payload = NoiseTestSupport.randomBytes(160, using: &generator)
            let header = [UInt8(nonce & 0xFF)]
            return (UInt64(nonce), payload, try initiator.encrypt(nonce: UInt64(nonce), payload, associatedData: header))
        }
        // Deliver a shuffled 80 % of them: loss and reordering.
        let delivered = packets.shuffled(using: &generator).prefix(160)
        for (nonce, payload, ciphertext) in delivered {
            XCTAssertEqual(ciphertext.count, payload.count + 16)
            XCTAssertEqual(
                try responder.decrypt(nonce: nonce, ciphertext, associatedData: [UInt8(nonce & 0xFF)]), payload, "nonce \(nonce)")
        }
        XCTAssertEqual(initiator.sender.nonce, 0, "explicit nonces leave the counter alone")
    }

    func testWrongNonceAssociatedDataOrDirectionFails() throws {
        let (initiator, responder) = try completedTransports()
        let ciphertext = try initiator.encrypt(nonce: 5, [1, 2, 3], associatedData: [9])
        XCTAssertThrowsError(try responder.decrypt(nonce: 6, ciphertext, associatedData: [9])) { error in
            XCTAssertEqual(error as? NoiseError, .decryptionFailed(what: "message with nonce 6"))
        }
        XCTAssertThrowsError(try responder.decrypt(nonce: 5, ciphertext, associatedData: [8]))
        XCTAssertThrowsError(try initiator.decrypt(nonce: 5, ciphertext, associatedData: [9]), "own direction's key")
        XCTAssertThrowsError(try responder.decrypt(nonce: 5, Array(ciphertext.prefix(15)))) { error in
            XCTAssertEqual("\(error)", "ciphertext is 15 bytes (expected at least 16)")
        }
        XCTAssertEqual(try responder.decrypt(nonce: 5, ciphertext, associatedData: [9]), [1, 2, 3])
    }

    func testReservedNonceIsRefused() throws {
        let (initiator, responder) = try completedTransports()
        XCTAssertThrowsError(try initiator.encrypt(nonce: .max, [1])) { error in
            XCTAssertEqual(error as? NoiseError, .nonceExhausted(nonce: .max))
        }
        XCTAssertThrowsError(try responder.decrypt(nonce: .max, [UInt8](repeating: 0, count: 17)))
        XCTAssertNoThrow(try initiator.encrypt(nonce: .max - 1, [1]))
    }

    func testCountedDecryptAdvancesOnlyOnSuccess() throws {
        var (initiator, responder) = try completedTransports()
        let first = try initiator.encrypt([1])
        let second = try initiator.encrypt([2])
        XCTAssertEqual(initiator.sender.nonce, 2)
        XCTAssertThrowsError(try responder.decrypt(second), "second message at nonce 0")
        XCTAssertEqual(responder.receiver.nonce, 0)
        XCTAssertEqual(try responder.decrypt(first), [1])
        XCTAssertEqual(try responder.decrypt(second), [2])
        XCTAssertEqual(responder.receiver.nonce, 2)
        // Counted and explicit modes agree on the nonce numbering.
        XCTAssertEqual(try responder.decrypt(nonce: 0, first), [1])
    }

    func testReplayWindowAcceptsReorderingAndRejectsReplays() {
        var window = NoiseReplayWindow()
        XCTAssertTrue(window.accept(10))
        XCTAssertFalse(window.accept(10), "duplicate")
        XCTAssertTrue(window.accept(8), "late but inside the window")
        XCTAssertTrue(window.accept(12))
        XCTAssertTrue(window.accept(11))
        XCTAssertFalse(window.accept(8))
        XCTAssertFalse(window.accept(11))
        XCTAssertTrue(window.accept(9))
        XCTAssertEqual(window.highest, 12)
        XCTAssertTrue(window.accept(112), "a jump forward")
        XCTAssertFalse(window.wouldAccept(112 - 64), "64 behind the highest is too old to tell")
        XCTAssertTrue(window.accept(112 - 63), "63 behind is still inside")
        XCTAssertFalse(window.accept(12), "far too old")
        XCTAssertFalse(window.accept(112))
    }

    func testReplayWindowMatchesAReferenceSetOnRandomTraffic() {
        var generator = SeededGenerator(seed: 11)
        var window = NoiseReplayWindow()
        var accepted: Set<UInt64> = []
        var highest: UInt64?
        for step in 0..<5_000 {
            let base = UInt64(step / 2)
            let nonce = base + UInt64.random(in: 0...80, using: &generator) - min(base, 40)
            // Reference: accept if never accepted and within 63 of the highest accepted so far.
            let expected = !accepted.contains(nonce) && (highest.map { nonce > $0 || $0 - nonce < 64 } ?? true)
            XCTAssertEqual(window.accept(nonce), expected, "step \(step) nonce \(nonce)")
            if expected {
                accepted.insert(nonce)
                highest = max(highest ?? 0, nonce)
            }
        }
    }
}
