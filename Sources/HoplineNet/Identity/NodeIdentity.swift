import Crypto

/// A node's long-term secret identity: a Curve25519 key-agreement key, whose public half is the node ID
/// and which the Noise handshake proves, and an Ed25519 signing key for signed records (rendezvous
/// registrations, DHT entries). The signing key is not part of the node ID.
///
/// Holds secrets: `description` and the reflection mirror (`dump`, debuggers) show only the node ID.
/// Sendable; immutable.
public struct NodeIdentity: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// Raw private key bytes (32 each), validated by init.
    private let keyAgreementSecret: [UInt8]
    private let signingSecret: [UInt8]
    /// The ID others use to reach and authenticate this node.
    public let nodeID: NodeID
    /// The Ed25519 public key (32 bytes) that verifies this node's signatures.
    public let signingPublicKey: [UInt8]

    /// A new random identity.
    public static func generate() -> NodeIdentity {
        NodeIdentity(
            keyAgreement: Curve25519.KeyAgreement.PrivateKey(), signing: Curve25519.Signing.PrivateKey())
    }

    /// An identity from stored raw private keys (32 bytes each).
    public init(keyAgreementPrivateKey: [UInt8], signingPrivateKey: [UInt8]) throws(NodeIdentityError) {
        guard keyAgreementPrivateKey.count == 32 else {
            throw .invalidKey(what: "Curve25519 key-agreement private key", length: keyAgreementPrivateKey.count)
        }
        guard signingPrivateKey.count == 32 else {
            throw .invalidKey(what: "Ed25519 signing private key", length: signingPrivateKey.count)
        }
        do {
            self.init(
                keyAgreement: try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: keyAgreementPrivateKey),
                signing: try Curve25519.Signing.PrivateKey(rawRepresentation: signingPrivateKey))
        } catch {
            throw .invalidKey(what: "private key", length: 32)
        }
    }

    private init(keyAgreement: Curve25519.KeyAgreement.PrivateKey, signing: Curve25519.Signing.PrivateKey) {
        keyAgreementSecret = Array(keyAgreement.rawRepresentation)
        signingSecret = Array(signing.rawRepresentation)
        nodeID = NodeID(publicKey: keyAgreement.publicKey)
        signingPublicKey = Array(signing.publicKey.rawRepresentation)
    }

    /// The key-agreement private key, for `NoiseIKHandshake`.
    public var keyAgreementPrivateKey: Curve25519.KeyAgreement.PrivateKey {
        // 32 bytes checked in init: cannot fail.
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: keyAgreementSecret) else {
            preconditionFailure("validated Curve25519 key rejected")
        }
        return key
    }

    /// Raw private keys for `IdentityStore`; keep them secret.
    public var keyAgreementPrivateKeyBytes: [UInt8] { keyAgreementSecret }
    public var signingPrivateKeyBytes: [UInt8] { signingSecret }

    /// An Ed25519 signature (64 bytes) over `message`.
    public func sign(_ message: [UInt8]) throws(NodeIdentityError) -> [UInt8] {
        do {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: signingSecret)
            return Array(try key.signature(for: message))
        } catch {
            throw .signingFailed("\(error)")
        }
    }

    /// Whether `signature` is a valid Ed25519 signature over `message` by `signingPublicKey` (32 bytes).
    /// False for any malformed key or signature.
    public static func verify(signature: [UInt8], for message: [UInt8], signingPublicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: signingPublicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public var description: String { "NodeIdentity(\(nodeID))" }

    public var customMirror: Mirror { Mirror(self, children: ["nodeID": nodeID], displayStyle: .struct) }
}
