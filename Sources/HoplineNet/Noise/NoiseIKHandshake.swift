import Crypto

/// The `Noise_IK_25519_ChaChaPoly_SHA256` handshake (and `Noise_IKpsk2_...` when given a pre-shared key):
/// the initiator, who knows the responder's static key (its node ID), sends message 1; the responder learns
/// and authenticates the initiator's static key from it and answers with message 2. Both then `split()`
/// into transport cipher states with forward secrecy, and may `exportKey` keying material (e.g. SRTP keys).
///
/// Reproduces the published cacophony test vectors byte for byte. A message that fails to read (garbage,
/// the wrong key, tampering) throws and leaves the handshake unchanged, so over UDP the caller can drop it
/// and wait for the next. Not Sendable: one handshake belongs to one task or actor.
///
/// Payloads of message 1 are encrypted but not forward secret, and message 1 can be replayed to the
/// responder: act on its payload only after message 2 (or later traffic) proves the peer is live.
public struct NoiseIKHandshake {
    /// Which side of the handshake this is.
    public enum Role: Sendable, Equatable { case initiator, responder }

    private var state: NoiseHandshakeState

    private init(state: NoiseHandshakeState) { self.state = state }

    /// The initiator's side. `remoteStatic` is the responder's Curve25519 public key; `presharedKey` (32
    /// bytes) selects IKpsk2; `ephemeral` fixes the ephemeral key and exists for test vectors only.
    public static func initiator(
        localStatic: Curve25519.KeyAgreement.PrivateKey, remoteStatic: Curve25519.KeyAgreement.PublicKey,
        prologue: [UInt8] = [], presharedKey: [UInt8]? = nil, ephemeral: Curve25519.KeyAgreement.PrivateKey? = nil
    ) throws(NoiseError) -> NoiseIKHandshake {
        NoiseIKHandshake(
            state: try NoiseHandshakeState(
                pattern: presharedKey == nil ? .ik : .ikpsk2, isInitiator: true, prologue: prologue,
                localStatic: localStatic, remoteStatic: remoteStatic, ephemeral: ephemeral, presharedKey: presharedKey))
    }

    /// The responder's side; it learns the initiator's static key from message 1.
    public static func responder(
        localStatic: Curve25519.KeyAgreement.PrivateKey, prologue: [UInt8] = [], presharedKey: [UInt8]? = nil,
        ephemeral: Curve25519.KeyAgreement.PrivateKey? = nil
    ) throws(NoiseError) -> NoiseIKHandshake {
        NoiseIKHandshake(
            state: try NoiseHandshakeState(
                pattern: presharedKey == nil ? .ik : .ikpsk2, isInitiator: false, prologue: prologue,
                localStatic: localStatic, remoteStatic: nil, ephemeral: ephemeral, presharedKey: presharedKey))
    }

    /// The initiator's side between two Hopline nodes: `identity` calls the node `remote`.
    public static func initiator(identity: NodeIdentity, remote: NodeID, prologue: [UInt8] = []) throws(NoiseError)
        -> NoiseIKHandshake
    {
        try initiator(
            localStatic: identity.keyAgreementPrivateKey,
            remoteStatic: try NoiseHandshakeState.publicKey(remote.publicKey, what: "remote node ID key"),
            prologue: prologue)
    }

    /// The responder's side between two Hopline nodes.
    public static func responder(identity: NodeIdentity, prologue: [UInt8] = []) throws(NoiseError) -> NoiseIKHandshake {
        try responder(localStatic: identity.keyAgreementPrivateKey, prologue: prologue)
    }

    public var role: Role { state.isInitiator ? .initiator : .responder }

    /// `Noise_IK_25519_ChaChaPoly_SHA256` or `Noise_IKpsk2_25519_ChaChaPoly_SHA256`.
    public var protocolName: String { state.pattern.protocolName }

    /// Both messages have been written or read; `split()` and `exportKey` may be used.
    public var isComplete: Bool { state.isComplete }

    /// The next step is `writeMessage` (false: `readMessage`, or the handshake is complete).
    public var isOurTurnToWrite: Bool { state.isOurTurnToWrite }

    /// Writes the next handshake message carrying `payload` (encrypted; the result is at most 65535 bytes).
    public mutating func writeMessage(payload: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try state.writeMessage(payload: payload)
    }

    /// Reads the peer's next handshake message and returns its decrypted payload. On any error the
    /// handshake is unchanged.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        try state.readMessage(message)
    }

    /// The peer's static public key: the initiator's from the start, the responder's after reading message 1.
    public var remoteStaticPublicKey: Curve25519.KeyAgreement.PublicKey? { state.remoteStatic }

    /// The peer's node ID, once its static key is known (see `remoteStaticPublicKey`).
    public var remoteNodeID: NodeID? {
        state.remoteStatic.map { NodeID(publicKey: NoiseHandshakeState.bytes($0)) }
    }

    /// The handshake hash `h` (32 bytes); after completion, a unique channel binding for this session.
    public var handshakeHash: [UInt8] { state.symmetric.handshakeHash }

    /// The transport cipher states. Throws `.outOfOrder` before the handshake is complete.
    public func split() throws(NoiseError) -> NoiseTransport {
        guard state.isComplete else {
            throw .outOfOrder(operation: "split", reason: "the handshake is not complete (\(state.messageIndex) of 2 messages)")
        }
        let (initiatorToResponder, responderToInitiator) = state.symmetric.split()
        return NoiseTransport(
            role: role, handshakeHash: handshakeHash,
            sender: state.isInitiator ? initiatorToResponder : responderToInitiator,
            receiver: state.isInitiator ? responderToInitiator : initiatorToResponder)
    }

    /// `length` bytes of keying material bound to this handshake: HKDF-SHA256 (RFC 5869) with the final
    /// chaining key as input, the handshake hash as salt and `label` (UTF-8) as info. Both sides get the
    /// same bytes for the same label; use a different label per purpose and direction
    /// (`NoiseExportLabel`). Throws `.outOfOrder` before completion, `.invalidExportLength` outside 1...8160.
    public func exportKey(label: String, length: Int) throws(NoiseError) -> [UInt8] {
        guard state.isComplete else {
            throw .outOfOrder(
                operation: "exportKey", reason: "the handshake is not complete (\(state.messageIndex) of 2 messages)")
        }
        return try state.symmetric.exportKey(label: label, length: length)
    }
}
