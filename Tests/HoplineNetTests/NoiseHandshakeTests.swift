import Crypto
import HoplineNet
import HoplineTestSupport
import XCTest

/// The IK handshake with random keys: round trips, a wrong responder key, tampering, truncation, garbage,
/// out-of-order calls, low-order keys, pre-shared keys and exported keying material.
final class NoiseHandshakeTests: XCTestCase {
    typealias PrivateKey = Curve25519.KeyAgreement.PrivateKey

    struct Pair {
        var initiator: NoiseIKHandshake
        var responder: NoiseIKHandshake
        let initiatorKey: PrivateKey
        let responderKey: PrivateKey
    }

    func makePair(prologue: [UInt8] = Array("hopline test".utf8), psk: [UInt8]? = nil) throws -> Pair {
        let initiatorKey = PrivateKey(), responderKey = PrivateKey()
        return Pair(
            initiator: try .initiator(
                localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue, presharedKey: psk),
            responder: try .responder(localStatic: responderKey, prologue: prologue, presharedKey: psk),
            initiatorKey: initiatorKey, responderKey: responderKey)
    }

    func testRoundTripWithRandomKeys() throws {
        var generator = SeededGenerator(seed: 1)
        for round in 0..<10 {
            var pair = try makePair()
            let payload1 = NoiseTestSupport.randomBytes(round * 7, using: &generator)
            let payload2 = NoiseTestSupport.randomBytes(round * 5, using: &generator)
            XCTAssertTrue(pair.initiator.isOurTurnToWrite)
            XCTAssertFalse(pair.responder.isOurTurnToWrite)
            XCTAssertNil(pair.responder.remoteStaticPublicKey)
            let message1 = try pair.initiator.writeMessage(payload: payload1)
            XCTAssertEqual(message1.count, 32 + 48 + payload1.count + 16, "e, encrypted s, encrypted payload")
            XCTAssertEqual(try pair.responder.readMessage(message1), payload1)
            XCTAssertEqual(pair.responder.remoteNodeID, NodeID(publicKey: pair.initiatorKey.publicKey))
            XCTAssertEqual(pair.initiator.remoteNodeID, NodeID(publicKey: pair.responderKey.publicKey))
            let message2 = try pair.responder.writeMessage(payload: payload2)
            XCTAssertEqual(message2.count, 32 + payload2.count + 16)
            XCTAssertEqual(try pair.initiator.readMessage(message2), payload2)
            XCTAssertTrue(pair.initiator.isComplete && pair.responder.isComplete)
            XCTAssertEqual(pair.initiator.handshakeHash, pair.responder.handshakeHash)

            var toResponder = try pair.initiator.split()
            var toInitiator = try pair.responder.split()
            XCTAssertEqual(toResponder.handshakeHash, pair.initiator.handshakeHash)
            for index in 0..<5 {
                let data = NoiseTestSupport.randomBytes(index * 40, using: &generator)
                XCTAssertEqual(
                    try toInitiator.decrypt(try toResponder.encrypt(data, associatedData: [1]), associatedData: [1]), data)
                XCTAssertEqual(try toResponder.decrypt(try toInitiator.encrypt(data)), data)
            }
        }
    }

    func testDifferentHandshakesGiveDifferentSessionsWithTheSameKeys() throws {
        // Fresh ephemeral keys per handshake: same static keys, different handshake hash and transport keys.
        let initiatorKey = PrivateKey(), responderKey = PrivateKey()
        var hashes: Set<[UInt8]> = []
        var firstMessages: Set<[UInt8]> = []
        for _ in 0..<3 {
            var initiator = try NoiseIKHandshake.initiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey)
            var responder = try NoiseIKHandshake.responder(localStatic: responderKey)
            _ = try responder.readMessage(try initiator.writeMessage())
            let message2 = try responder.writeMessage()
            _ = try initiator.readMessage(message2)
            hashes.insert(initiator.handshakeHash)
            firstMessages.insert(try initiator.split().encrypt(nonce: 0, [1, 2, 3]))
        }
        XCTAssertEqual(hashes.count, 3)
        XCTAssertEqual(firstMessages.count, 3)
    }

    func testNodeIdentityConvenience() throws {
        let alice = NodeIdentity.generate(), bob = NodeIdentity.generate()
        var initiator = try NoiseIKHandshake.initiator(identity: alice, remote: bob.nodeID)
        var responder = try NoiseIKHandshake.responder(identity: bob)
        _ = try responder.readMessage(try initiator.writeMessage())
        XCTAssertEqual(responder.remoteNodeID, alice.nodeID)
        _ = try initiator.readMessage(try responder.writeMessage())
        XCTAssertEqual(initiator.remoteNodeID, bob.nodeID)
        XCTAssertEqual(initiator.handshakeHash, responder.handshakeHash)
    }

    func testWrongResponderKeyFailsAtTheResponderWithAClearError() throws {
        let initiatorKey = PrivateKey(), responderKey = PrivateKey(), somebodyElse = PrivateKey()
        var initiator = try NoiseIKHandshake.initiator(localStatic: initiatorKey, remoteStatic: somebodyElse.publicKey)
        var responder = try NoiseIKHandshake.responder(localStatic: responderKey)
        let message1 = try initiator.writeMessage(payload: [42])
        XCTAssertThrowsError(try responder.readMessage(message1)) { error in
            XCTAssertEqual(error as? NoiseError, .decryptionFailed(what: "handshake message 1 static key"))
            XCTAssertEqual(
                "\(error)",
                "cannot decrypt handshake message 1 static key: authentication failed (wrong key, or a corrupted, truncated or tampered message)")
        }
        XCTAssertNil(responder.remoteStaticPublicKey)
        XCTAssertFalse(responder.isOurTurnToWrite, "the failed read left the responder waiting for message 1")
    }

    func testPrologueMismatchFails() throws {
        let responderKey = PrivateKey()
        var initiator = try NoiseIKHandshake.initiator(
            localStatic: PrivateKey(), remoteStatic: responderKey.publicKey, prologue: [1])
        var responder = try NoiseIKHandshake.responder(localStatic: responderKey, prologue: [2])
        XCTAssertThrowsError(try responder.readMessage(try initiator.writeMessage())) { error in
            XCTAssertEqual(error as? NoiseError, .decryptionFailed(what: "handshake message 1 static key"))
        }
    }

    /// Flips each bit position class in every byte of both messages: every change must be rejected, and
    /// the handshake must still accept the genuine message afterwards.
    func testEveryTamperedByteIsRejectedAndTheStateSurvives() throws {
        var pair = try makePair()
        let message1 = try pair.initiator.writeMessage(payload: Array("call me".utf8))
        for index in message1.indices {
            for bit in [0, 7] {
                var tampered = message1
                tampered[index] ^= 1 << bit
                XCTAssertThrowsError(try pair.responder.readMessage(tampered), "message 1 byte \(index) bit \(bit)")
            }
        }
        XCTAssertEqual(try pair.responder.readMessage(message1), Array("call me".utf8))
        let message2 = try pair.responder.writeMessage(payload: Array("hello".utf8))
        for index in message2.indices {
            var tampered = message2
            tampered[index] ^= 0x80
            XCTAssertThrowsError(try pair.initiator.readMessage(tampered), "message 2 byte \(index)")
        }
        XCTAssertEqual(try pair.initiator.readMessage(message2), Array("hello".utf8))
        XCTAssertEqual(pair.initiator.handshakeHash, pair.responder.handshakeHash)
    }

    func testTruncatedAndOversizedMessagesNameTheLength() throws {
        var pair = try makePair()
        let message1 = try pair.initiator.writeMessage()
        XCTAssertEqual(message1.count, 96, "32 ephemeral + 48 static + 16 tag for the empty payload")
        for length in [0, 1, 32, 95] {
            XCTAssertThrowsError(try pair.responder.readMessage(Array(message1.prefix(length)))) { error in
                XCTAssertEqual(
                    error as? NoiseError,
                    .wrongMessageLength(what: "handshake message 1", length: length, expected: "at least 96"))
            }
        }
        XCTAssertThrowsError(try pair.responder.readMessage(message1 + [UInt8](repeating: 0, count: 65_536))) { error in
            XCTAssertEqual(
                "\(error)", "handshake message 1 is 65632 bytes (expected at most 65535)")
        }
        _ = try pair.responder.readMessage(message1)
        let message2 = try pair.responder.writeMessage()
        XCTAssertEqual(message2.count, 48)
        XCTAssertThrowsError(try pair.initiator.readMessage(Array(message2.dropLast()))) { error in
            XCTAssertEqual(
                error as? NoiseError, .wrongMessageLength(what: "handshake message 2", length: 47, expected: "at least 48"))
        }
    }

    func testPayloadTooLongForOneMessage() throws {
        var pair = try makePair()
        XCTAssertThrowsError(try pair.initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65_535)))
        XCTAssertTrue(pair.initiator.isOurTurnToWrite, "the failed write changed nothing")
        XCTAssertNoThrow(try pair.initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65_535 - 96)))
    }

    func testOutOfOrderUseIsATypedError() throws {
        var pair = try makePair()
        XCTAssertThrowsError(try pair.responder.writeMessage()) { error in
            XCTAssertEqual(
                error as? NoiseError,
                .outOfOrder(operation: "writeMessage", reason: "the responder must read handshake message 1 before writing"))
        }
        XCTAssertThrowsError(try pair.initiator.readMessage([UInt8](repeating: 0, count: 200))) { error in
            XCTAssertEqual(
                error as? NoiseError,
                .outOfOrder(operation: "readMessage", reason: "the initiator must write handshake message 1 before reading"))
        }
        XCTAssertThrowsError(try pair.initiator.split()) { error in
            XCTAssertEqual("\(error)", "split called out of order: the handshake is not complete (0 of 2 messages)")
        }
        XCTAssertThrowsError(try pair.initiator.exportKey(label: "x", length: 16))
        let message1 = try pair.initiator.writeMessage()
        XCTAssertThrowsError(try pair.initiator.writeMessage(), "the initiator must now read message 2")
        _ = try pair.responder.readMessage(message1)
        XCTAssertThrowsError(try pair.responder.readMessage(message1), "the responder must now write message 2")
        _ = try pair.initiator.readMessage(try pair.responder.writeMessage())
        XCTAssertThrowsError(try pair.initiator.writeMessage()) { error in
            XCTAssertEqual(
                error as? NoiseError,
                .outOfOrder(operation: "writeMessage", reason: "the handshake is already complete; use split()"))
        }
        XCTAssertThrowsError(try pair.responder.readMessage([]))
    }

    /// Random bytes of every length class into both readers: each must throw, none may crash, and the
    /// genuine messages must still work afterwards.
    func testGarbageIsRejectedWithoutCrashing() throws {
        var generator = SeededGenerator(seed: 7)
        var pair = try makePair()
        let message1 = try pair.initiator.writeMessage()
        for _ in 0..<500 {
            let garbage = NoiseTestSupport.randomBytes(Int.random(in: 0...200, using: &generator), using: &generator)
            XCTAssertThrowsError(try pair.responder.readMessage(garbage))
        }
        _ = try pair.responder.readMessage(message1)
        let message2 = try pair.responder.writeMessage()
        for _ in 0..<500 {
            let garbage = NoiseTestSupport.randomBytes(Int.random(in: 0...200, using: &generator), using: &generator)
            XCTAssertThrowsError(try pair.initiator.readMessage(garbage))
        }
        _ = try pair.initiator.readMessage(message2)
        XCTAssertEqual(pair.initiator.handshakeHash, pair.responder.handshakeHash)
    }

    func testLowOrderEphemeralKeyIsRefused() throws {
        var pair = try makePair()
        var message1 = try pair.initiator.writeMessage()
        // u = 0 is a low-order point: every Diffie-Hellman result with it is all zeros.
        for index in 0..<32 { message1[index] = 0 }
        XCTAssertThrowsError(try pair.responder.readMessage(message1)) { error in
            XCTAssertEqual(error as? NoiseError, .weakPublicKey(what: "the peer's key in token es"))
        }
    }

    func testPresharedKeyMismatchFailsAtMessage2() throws {
        let initiatorKey = PrivateKey(), responderKey = PrivateKey()
        var initiator = try NoiseIKHandshake.initiator(
            localStatic: initiatorKey, remoteStatic: responderKey.publicKey, presharedKey: [UInt8](repeating: 1, count: 32))
        var responder = try NoiseIKHandshake.responder(localStatic: responderKey, presharedKey: [UInt8](repeating: 2, count: 32))
        XCTAssertEqual(initiator.protocolName, "Noise_IKpsk2_25519_ChaChaPoly_SHA256")
        _ = try responder.readMessage(try initiator.writeMessage())
        XCTAssertThrowsError(try initiator.readMessage(try responder.writeMessage())) { error in
            XCTAssertEqual(error as? NoiseError, .decryptionFailed(what: "handshake message 2 payload"))
        }
        XCTAssertThrowsError(try NoiseIKHandshake.responder(localStatic: responderKey, presharedKey: [1, 2, 3])) { error in
            XCTAssertEqual("\(error)", "pre-shared key is 3 bytes (expected 32)")
        }
    }

    func testExportedKeysAgreeDifferPerLabelAndMapDirections() throws {
        var pair = try makePair()
        _ = try pair.responder.readMessage(try pair.initiator.writeMessage())
        _ = try pair.initiator.readMessage(try pair.responder.writeMessage())
        let a = try pair.initiator.exportKey(label: "one", length: 30)
        XCTAssertEqual(a.count, 30)
        XCTAssertEqual(a, try pair.responder.exportKey(label: "one", length: 30))
        XCTAssertNotEqual(a, try pair.initiator.exportKey(label: "two", length: 30))
        XCTAssertEqual(try pair.initiator.exportKey(label: "one", length: 8160).count, 8160)
        for bad in [0, -1, 8161] {
            XCTAssertThrowsError(try pair.initiator.exportKey(label: "one", length: bad)) { error in
                XCTAssertEqual(error as? NoiseError, .invalidExportLength(length: bad))
            }
        }
        let initiatorSRTP = try pair.initiator.srtpKeyingMaterial()
        let responderSRTP = try pair.responder.srtpKeyingMaterial()
        XCTAssertEqual(initiatorSRTP.outbound, responderSRTP.inbound)
        XCTAssertEqual(initiatorSRTP.inbound, responderSRTP.outbound)
        XCTAssertNotEqual(initiatorSRTP.outbound, initiatorSRTP.inbound)
        XCTAssertEqual(
            initiatorSRTP.outbound, try pair.initiator.exportKey(label: NoiseExportLabel.srtpInitiatorToResponder, length: 28))
    }
}
