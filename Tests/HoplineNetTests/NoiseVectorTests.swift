import Crypto
import Foundation
import HoplineNet
import XCTest

/// Runs every Noise IK and IKpsk2 vector in `shared/testvectors/noise-ik-25519-chachapoly-sha256.json`
/// (cacophony's published vectors) and requires byte-for-byte equality: both handshake messages, the
/// handshake hash and every transport message after them, from the initiator's and the responder's side.
final class NoiseVectorTests: XCTestCase {
    struct VectorFile: Decodable {
        let vectors: [Vector]
    }

    struct Vector: Decodable {
        let protocol_name: String
        let init_prologue: String
        let init_psks: [String]?
        let init_static: String
        let init_ephemeral: String
        let init_remote_static: String
        let resp_prologue: String
        let resp_psks: [String]?
        let resp_static: String
        let resp_ephemeral: String
        let handshake_hash: String
        let messages: [Message]
    }

    struct Message: Decodable {
        let payload: String
        let ciphertext: String
    }

    static let vectorPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/testvectors/noise-ik-25519-chachapoly-sha256.json").path

    func loadVectors() throws -> [Vector] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.vectorPath))
        return try JSONDecoder().decode(VectorFile.self, from: data).vectors
    }

    func testFileHoldsBothIKVariants() throws {
        let names = try loadVectors().map(\.protocol_name)
        XCTAssertEqual(
            Set(names), ["Noise_IK_25519_ChaChaPoly_SHA256", "Noise_IKpsk2_25519_ChaChaPoly_SHA256"],
            "vectors in \(Self.vectorPath)")
    }

    func testEveryVectorByteForByte() throws {
        let vectors = try loadVectors()
        XCTAssertGreaterThanOrEqual(vectors.count, 2)
        for vector in vectors { try run(vector) }
    }

    private func run(_ vector: Vector) throws {
        let name = vector.protocol_name
        let initiatorStatic = try privateKey(vector.init_static)
        let responderStatic = try privateKey(vector.resp_static)
        let remoteStatic = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: try NoiseTestSupport.hex(vector.init_remote_static))
        XCTAssertEqual(remoteStatic.rawRepresentation, responderStatic.publicKey.rawRepresentation, name)

        var initiator = try NoiseIKHandshake.initiator(
            localStatic: initiatorStatic, remoteStatic: remoteStatic, prologue: try NoiseTestSupport.hex(vector.init_prologue),
            presharedKey: try vector.init_psks.map { try NoiseTestSupport.hex($0[0]) }, ephemeral: try privateKey(vector.init_ephemeral))
        var responder = try NoiseIKHandshake.responder(
            localStatic: responderStatic, prologue: try NoiseTestSupport.hex(vector.resp_prologue),
            presharedKey: try vector.resp_psks.map { try NoiseTestSupport.hex($0[0]) }, ephemeral: try privateKey(vector.resp_ephemeral))
        XCTAssertEqual(initiator.protocolName, name)
        XCTAssertEqual(responder.protocolName, name)
        XCTAssertGreaterThan(vector.messages.count, 2, "\(name): expected transport messages after the handshake")

        // Messages alternate initiator, responder, initiator, ... (cacophony's convention).
        for (index, message) in vector.messages.prefix(2).enumerated() {
            let payload = try NoiseTestSupport.hex(message.payload)
            let expected = try NoiseTestSupport.hex(message.ciphertext)
            let written =
                index == 0 ? try initiator.writeMessage(payload: payload) : try responder.writeMessage(payload: payload)
            XCTAssertEqual(written, expected, "\(name) handshake message \(index + 1)")
            let read = index == 0 ? try responder.readMessage(written) : try initiator.readMessage(written)
            XCTAssertEqual(read, payload, "\(name) handshake message \(index + 1) payload")
            if index == 0 {
                XCTAssertEqual(
                    responder.remoteStaticPublicKey?.rawRepresentation, initiatorStatic.publicKey.rawRepresentation,
                    "\(name): the responder learns the initiator's static key from message 1")
            }
        }
        XCTAssertTrue(initiator.isComplete && responder.isComplete, name)
        XCTAssertEqual(initiator.handshakeHash, try NoiseTestSupport.hex(vector.handshake_hash), "\(name) handshake hash")
        XCTAssertEqual(responder.handshakeHash, try NoiseTestSupport.hex(vector.handshake_hash), "\(name) handshake hash (responder)")

        var initiatorTransport = try initiator.split()
        var responderTransport = try responder.split()
        for (index, message) in vector.messages.enumerated().dropFirst(2) {
            let payload = try NoiseTestSupport.hex(message.payload)
            let expected = try NoiseTestSupport.hex(message.ciphertext)
            let fromInitiator = index % 2 == 0
            let written =
                fromInitiator ? try initiatorTransport.encrypt(payload) : try responderTransport.encrypt(payload)
            XCTAssertEqual(written, expected, "\(name) transport message \(index + 1)")
            let read =
                fromInitiator ? try responderTransport.decrypt(written) : try initiatorTransport.decrypt(written)
            XCTAssertEqual(read, payload, "\(name) transport message \(index + 1) payload")
        }
    }

    private func privateKey(_ text: String) throws -> Curve25519.KeyAgreement.PrivateKey {
        try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: try NoiseTestSupport.hex(text))
    }
}
