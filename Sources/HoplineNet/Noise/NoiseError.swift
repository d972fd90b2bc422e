/// Why a Noise handshake or transport operation failed. Every case says what was wrong and what was
/// expected, so a log line is enough to tell a tampered packet from a wrong key or a programming error.
///
/// Handshake and transport errors leave the state they were thrown from unchanged: a garbage or forged
/// datagram can be dropped and the next one tried (see `NoiseIKHandshake`).
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An authentication tag did not verify: the wrong key, or a corrupted, truncated or tampered message.
    /// `what` names the field, e.g. `"handshake message 1 static key"`.
    case decryptionFailed(what: String)
    /// A message had a length the protocol cannot accept at this point.
    case wrongMessageLength(what: String, length: Int, expected: String)
    /// A call came in the wrong order, e.g. `writeMessage` when it is the peer's turn, or `split` before the
    /// handshake finished.
    case outOfOrder(operation: String, reason: String)
    /// A Diffie-Hellman result was all zeros: the peer sent a low-order Curve25519 point.
    case weakPublicKey(what: String)
    /// The nonce is 2^64-1, which Noise reserves, or the counter reached it.
    case nonceExhausted(nonce: UInt64)
    /// A key or pre-shared key had the wrong length.
    case invalidKey(what: String, length: Int, expected: Int)
    /// `exportKey` was asked for an output length HKDF-SHA256 cannot give.
    case invalidExportLength(length: Int)

    public var description: String {
        switch self {
        case .decryptionFailed(let what):
            return "cannot decrypt \(what): authentication failed (wrong key, or a corrupted, truncated or tampered message)"
        case .wrongMessageLength(let what, let length, let expected):
            return "\(what) is \(length) bytes (expected \(expected))"
        case .outOfOrder(let operation, let reason):
            return "\(operation) called out of order: \(reason)"
        case .weakPublicKey(let what):
            return "\(what) is a low-order Curve25519 point (Diffie-Hellman result is all zeros)"
        case .nonceExhausted(let nonce):
            return "nonce \(nonce) is reserved by Noise (expected below 2^64-1): rekey or start a new handshake"
        case .invalidKey(let what, let length, let expected):
            return "\(what) is \(length) bytes (expected \(expected))"
        case .invalidExportLength(let length):
            return "cannot export \(length) bytes of keying material (expected 1...\(NoiseSymmetricState.maximumExportLength))"
        }
    }
}
