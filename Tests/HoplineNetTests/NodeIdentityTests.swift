import Crypto
import HoplineNet
import XCTest

/// NodeIdentity: generation, reconstruction from the seed, the node ID's binding of the signing key,
/// signatures, and secrets kept out of descriptions.
final class NodeIdentityTests: XCTestCase {
    func testRebuildFromTheSeedGivesTheSameIdentity() throws {
        let identity = NodeIdentity.generate()
        let copy = try NodeIdentity(seed: identity.seedBytes)
        XCTAssertEqual(copy, identity)
        XCTAssertEqual(copy.nodeID, identity.nodeID)
        XCTAssertEqual(copy.signingPublicKey, identity.signingPublicKey)
        XCTAssertEqual(identity.nodeID, NodeID(publicKey: identity.keyAgreementPrivateKey.publicKey))
        XCTAssertNotEqual(NodeIdentity.generate().nodeID, identity.nodeID)
        // The signing key is the seed's Ed25519 key (RFC 8032).
        XCTAssertEqual(
            identity.signingPublicKey,
            Array(try Curve25519.Signing.PrivateKey(rawRepresentation: identity.seedBytes).publicKey.rawRepresentation))
    }

    /// The node ID binds the signing key: the Edwards-to-Montgomery map of the Ed25519 public key (big-number
    /// arithmetic) equals the X25519 public key swift-crypto computes from the derived scalar, for many seeds.
    func testTheNodeIDBindsTheSigningKeyAndNoOtherKey() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<64 {
            let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
            let identity = try NodeIdentity(seed: seed)
            XCTAssertEqual(EdwardsToMontgomery.montgomeryU(fromEdwardsPublicKey: identity.signingPublicKey), identity.nodeID.publicKey)
            XCTAssertTrue(NodeIdentity.binds(signingKey: identity.signingPublicKey, to: identity.nodeID))
            XCTAssertTrue(EdwardsToMontgomery.matches(edwards: identity.signingPublicKey, montgomery: identity.nodeID.publicKey))
            var other = identity.nodeID.publicKey
            other[0] ^= 1
            XCTAssertFalse(EdwardsToMontgomery.matches(edwards: identity.signingPublicKey, montgomery: other))
            XCTAssertFalse(NodeIdentity.binds(signingKey: NodeIdentity.generate().signingPublicKey, to: identity.nodeID))
        }
        // RFC 8032 test 1: the X25519 key libsodium's crypto_sign_ed25519_pk_to_curve25519 gives for its
        // public key is the one the seed derives here.
        let rfc = try NodeIdentity(seed: Self.hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        XCTAssertEqual(rfc.signingPublicKey, Self.hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        XCTAssertEqual(EdwardsToMontgomery.montgomeryU(fromEdwardsPublicKey: rfc.signingPublicKey), rfc.nodeID.publicKey)
        // Malformed keys bind nothing.
        XCTAssertNil(EdwardsToMontgomery.montgomeryU(fromEdwardsPublicKey: [1, 2, 3]))
        XCTAssertNil(EdwardsToMontgomery.montgomeryU(fromEdwardsPublicKey: [1] + [UInt8](repeating: 0, count: 31)), "y = 1")
        XCTAssertNil(EdwardsToMontgomery.montgomeryU(fromEdwardsPublicKey: [UInt8](repeating: 0xFF, count: 31) + [0x7F]), "y >= p")
    }

    private static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { offset in
            let start = text.index(text.startIndex, offsetBy: offset)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    func testWrongSeedLengthIsNamed() {
        XCTAssertThrowsError(try NodeIdentity(seed: [1])) {
            XCTAssertEqual("\($0)", "invalid identity seed: 1 bytes (expected 32)")
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
