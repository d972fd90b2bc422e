/// The transport phase after a Noise handshake: one cipher state for what this side sends, one for what
/// it receives (Noise `Split`). Counted `encrypt`/`decrypt` suit an ordered stream; the `nonce:` variants
/// suit datagrams that carry their nonce and may be lost or reordered: the sender must use each nonce once
/// (e.g. a counter it increments), and the receiver must reject replays (`NoiseReplayWindow`).
///
/// A Sendable value type; do not copy it to send from two places, which would reuse nonces.
public struct NoiseTransport: Sendable {
    public let role: NoiseIKHandshake.Role
    /// The handshake hash, a channel binding both sides share.
    public let handshakeHash: [UInt8]
    /// Encrypts what this side sends.
    public var sender: NoiseCipherState
    /// Decrypts what the peer sends.
    public var receiver: NoiseCipherState

    init(role: NoiseIKHandshake.Role, handshakeHash: [UInt8], sender: NoiseCipherState, receiver: NoiseCipherState) {
        self.role = role
        self.handshakeHash = handshakeHash
        self.sender = sender
        self.receiver = receiver
    }

    /// Encrypts with the next sending nonce.
    public mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try sender.encrypt(plaintext, associatedData: associatedData)
    }

    /// Decrypts with the next receiving nonce (messages must arrive in order).
    public mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try receiver.decrypt(ciphertext, associatedData: associatedData)
    }

    /// Encrypts with an explicit nonce, which the caller sends alongside; never reuse one.
    public func encrypt(nonce: UInt64, _ plaintext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try sender.encrypt(nonce: nonce, plaintext, associatedData: associatedData)
    }

    /// Decrypts a message sent with `encrypt(nonce:...)`; check the nonce against a replay window after.
    public func decrypt(nonce: UInt64, _ ciphertext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try receiver.decrypt(nonce: nonce, ciphertext, associatedData: associatedData)
    }
}
