import Crypto
import HoplineNet
import XCTest

/// NodeIdentity: generation, reconstruction from raw keys, signatures, and secrets kept out of descriptions.
final class NodeIdentityTests: XCTestCase {
    func testRebuildFromRawKeysGivesTheSameIdentity() throws {
        let identity = NodeIdentity.generate()
        let copy = try NodeIdentity(
            keyAgreementPrivateKey: identity.keyAgreementPrivateKeyBytes, signingPrivateKey: identity.signingPrivateKeyBytes)
        XCTAssertEqual(copy, identity)
        XCTAssertEqual(copy.nodeID, identity.nodeID)
        XCTAssertEqual(copy.signingPublicKey, identity.signingPublicKey)
        XCTAssertEqual(identity.nodeID, NodeID(publicKey: identity.keyAgreementPrivateKey.publicKey))
        XCTAssertNotEqual(NodeIdentity.generate().nodeID, identity.nodeID)
    }

    func testWrongKeyLengthsAreNamed() {
        XCTAssertThrowsError(try NodeIdentity(keyAgreementPrivateKey: [1], signingPrivateKey: [UInt8](repeating: 0, count: 32))) {
            XCTAssertEqual("\($0)", "invalid Curve25519 key-agreement private key: 1 bytes (expected 32)")
        }
        XCTAssertThrowsError(try NodeIdentity(keyAgreementPrivateKey: [UInt8](repeating: 0, count: 32), signingPrivateKey: [])) {
            XCTAssertEqual("\($0)", "invalid Ed25519 signing private key: 0 bytes (expected 32)")
        }
    }

    func testSignAndVerify() throws {
        let identity = NodeIdentity.generate()
        let message = Array("register hl-... at 10.0.0.1:5004".utf8)
        let signature = try identity.sign(message)
        XCTAssertEqual(signature.count, 64)
        XCTAssertTrue(NodeIdentity.verify(signature: signature, for: message, signingPublicKey: identity.signingPublicKey))
        var altered = message
        altered[0] ^= 1
        XCTAssertFalse(NodeIdentity.verify(signature: signature, for: altered, signingPublicKey: identity.signingPublicKey))
        var badSignature = signature
        badSignature[10] ^= 1
        XCTAssertFalse(NodeIdentity.verify(signature: badSignature, for: message, signingPublicKey: identity.signingPublicKey))
        XCTAssertFalse(
            NodeIdentity.verify(signature: signature, for: message, signingPublicKey: NodeIdentity.generate().signingPublicKey))
        XCTAssertFalse(NodeIdentity.verify(signature: [1, 2], for: message, signingPublicKey: identity.signingPublicKey))
        XCTAssertFalse(NodeIdentity.verify(signature: signature, for: message, signingPublicKey: [1, 2, 3]))
    }

    func testDescriptionAndDumpShowOnlyTheNodeID() {
        let identity = NodeIdentity.generate()
        XCTAssertEqual("\(identity)", "NodeIdentity(\(identity.nodeID))")
        XCTAssertEqual(String(reflecting: identity), "NodeIdentity(\(identity.nodeID))")
        var dumped = ""
        dump(identity, to: &dumped)
        XCTAssertTrue(dumped.contains("nodeID"), dumped)
        XCTAssertFalse(dumped.contains("Secret"), "dump must not reach the private key fields: \(dumped)")
    }
}
