import Crypto

/// A node's long-term secret identity: one 32-byte seed. It is the node's Ed25519 signing key (RFC 8032), and
/// the node's Curve25519 key-agreement key is derived from it (the first 32 bytes of SHA-512(seed), the
/// scalar Ed25519 itself signs with), so the node ID, which is the key-agreement public key that the Noise
/// handshake proves, also binds the signing key: `binds(signingKey:to:)` checks a signed record about a node
/// (a rendezvous registration, a DHT entry) from its node ID alone.
///
/// Holds secrets: `description` and the reflection mirror (`dump`, debuggers) show only the node ID.
/// Sendable; immutable.
public struct NodeIdentity: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// The seed (32 bytes), validated by init.
    private let seed: [UInt8]
    private let keyAgreementSecret: [UInt8]
    /// The ID others use to reach and authenticate this node.
    public let nodeID: NodeID
    /// The Ed25519 public key (32 bytes) that verifies this node's signatures; bound to `nodeID`.
    public let signingPublicKey: [UInt8]

    /// A new random identity.
    public static func generate() -> NodeIdentity {
        // A fresh Ed25519 key's raw representation is its 32-byte seed.
        try! NodeIdentity(seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// The identity of a stored seed (32 bytes).
    public init(seed: [UInt8]) throws(NodeIdentityError) {
        guard seed.count == 32 else { throw .invalidKey(what: "identity seed", length: seed.count) }
        let signing: Curve25519.Signing.PrivateKey
        let keyAgreement: Curve25519.KeyAgreement.PrivateKey
        do {
            signing = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            keyAgreement = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Array(SHA512.hash(data: seed)).prefix(32))
        } catch {
            throw .invalidKey(what: "identity seed", length: 32)
        }
        self.seed = seed
        keyAgreementSecret = Array(keyAgreement.rawRepresentation)
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

    /// The seed, for `IdentityStore`; keep it secret.
    public var seedBytes: [UInt8] { seed }

    /// An Ed25519 signature (64 bytes) over `message`.
    public func sign(_ message: [UInt8]) throws(NodeIdentityError) -> [UInt8] {
        do {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
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

    /// Whether `signingKey` (an Ed25519 public key) belongs to the node `nodeID`: both come from one seed, so
    /// the signing key maps onto the node's key-agreement key (`EdwardsToMontgomery`).
    public static func binds(signingKey: [UInt8], to nodeID: NodeID) -> Bool {
        EdwardsToMontgomery.matches(edwards: signingKey, montgomery: nodeID.publicKey)
    }

    public var description: String { "NodeIdentity(\(nodeID))" }

    public var customMirror: Mirror { Mirror(self, children: ["nodeID": nodeID], displayStyle: .struct) }
}
