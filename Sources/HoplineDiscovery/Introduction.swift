import Crypto
import HoplineNet

/// A connection request (caller to callee, under `DHTKey.introductions(to:)`) or its answer (callee to
/// caller, under `DHTKey.answer(to:session:)`): the call's session id and the sender's candidates, sealed
/// to the recipient's X25519 key (its node ID) so only it reads the addresses and relay tokens, inside a
/// record the sender signs.
///
/// Body layout: recipient node ID (32) | ephemeral X25519 public key (32) | ChaCha20-Poly1305 box (nonce
/// 12, ciphertext, tag 16) of {session (u32), candidates}. Key: HKDF-SHA256 of the X25519 shared secret,
/// salt = ephemeral || recipient, info = `hopline dht introduction v1` || kind; the box authenticates the
/// sender's node ID, the recipient and the ephemeral key as associated data.
public struct Introduction: Equatable, Sendable {
    /// A request or answer is believed for 30 s: long enough to be read, short enough to be useless later.
    public static let lifetimeMilliseconds: UInt64 = 30_000

    public var session: UInt32
    public var candidates: [Candidate]

    public init(session: UInt32, candidates: [Candidate]) {
        self.session = session
        self.candidates = candidates
    }

    /// The sealed body, to `recipient`, from `sender`, as a record of `kind` (`.request` or `.answer`).
    public func sealedBody(from sender: NodeID, to recipient: NodeID, kind: DiscoveryRecord.Kind) throws -> [UInt8] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let ephemeralPublic = Array(ephemeral.publicKey.rawRepresentation)
        let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient.publicKey)
        let secret = try ephemeral.sharedSecretFromKeyAgreement(with: theirs)
        let key = Self.key(secret, ephemeral: ephemeralPublic, recipient: recipient, kind: kind)
        var writer = WireWriter()
        writer.u32(session)
        writer.candidates(Array(candidates.prefix(16)))
        let box = try ChaChaPoly.seal(
            writer.bytes, using: key,
            authenticating: Self.associatedData(sender: sender, recipient: recipient, ephemeral: ephemeralPublic, kind: kind))
        return recipient.publicKey + ephemeralPublic + Array(box.combined)
    }

    /// Opens a body sealed to `identity`'s node by `sender`; nil when it is for another node or does not decrypt.
    public static func open(
        _ body: [UInt8], from sender: NodeID, as identity: NodeIdentity, kind: DiscoveryRecord.Kind
    ) -> Introduction? {
        guard body.count >= 64 + 12 + 16, Array(body[0..<32]) == identity.nodeID.publicKey else { return nil }
        let ephemeralPublic = Array(body[32..<64])
        guard let theirs = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeralPublic),
            let secret = try? identity.keyAgreementPrivateKey.sharedSecretFromKeyAgreement(with: theirs),
            let box = try? ChaChaPoly.SealedBox(combined: body[64...])
        else { return nil }
        let key = key(secret, ephemeral: ephemeralPublic, recipient: identity.nodeID, kind: kind)
        let data = associatedData(sender: sender, recipient: identity.nodeID, ephemeral: ephemeralPublic, kind: kind)
        guard let plaintext = try? ChaChaPoly.open(box, using: key, authenticating: data) else { return nil }
        var reader = WireReader(Array(plaintext))
        guard let session = try? reader.u32("introduction session"),
            let candidates = try? reader.candidates("introduction candidates"), reader.remaining == 0
        else { return nil }
        return Introduction(session: session, candidates: candidates)
    }

    private static func key(
        _ secret: SharedSecret, ephemeral: [UInt8], recipient: NodeID, kind: DiscoveryRecord.Kind
    ) -> SymmetricKey {
        secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: ephemeral + recipient.publicKey,
            sharedInfo: Array("hopline dht introduction v1".utf8) + [kind.rawValue], outputByteCount: 32)
    }

    private static func associatedData(sender: NodeID, recipient: NodeID, ephemeral: [UInt8], kind: DiscoveryRecord.Kind) -> [UInt8] {
        sender.publicKey + recipient.publicKey + ephemeral + [kind.rawValue]
    }
}
