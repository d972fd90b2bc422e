import Crypto

/// A Noise CipherState (Noise spec rev 34, section 5.1): a ChaChaPoly key and a 64-bit nonce counter.
///
/// The counted `encrypt`/`decrypt` use and advance the nonce, as the handshake and an in-order stream need.
/// The `nonce:` variants take an explicit nonce and leave the counter alone, so a datagram transport can
/// carry the nonce in each packet and decrypt packets lost or reordered on the way; such a transport must
/// never reuse a nonce when sending and must reject replays when receiving (`NoiseReplayWindow`).
///
/// A value type: copies are independent, and two copies used to send would reuse nonces. Sendable; give
/// each direction's state to one owner.
public struct NoiseCipherState: Sendable {
    /// ChaChaPoly's tag length in bytes.
    public static let tagLength = 16
    /// Noise's maximum message length in bytes.
    public static let maximumMessageLength = 65_535

    /// 32 bytes, or nil before the handshake mixed in a key (then encryption is the identity, per spec).
    private var key: [UInt8]?
    /// The next nonce the counted `encrypt`/`decrypt` will use.
    public private(set) var nonce: UInt64 = 0

    init(key: [UInt8]?) {
        precondition(key == nil || key?.count == 32, "a Noise cipher key is 32 bytes")
        self.key = key
    }

    /// Whether a key has been set (the handshake has mixed in a Diffie-Hellman result).
    var hasKey: Bool { key != nil }

    /// Encrypts with the next counter nonce and advances it. The result is `plaintext.count + 16` bytes.
    public mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        let result = try encrypt(nonce: nonce, plaintext, associatedData: associatedData)
        if key != nil { nonce += 1 }
        return result
    }

    /// Decrypts with the next counter nonce; the counter advances only if the message authenticates.
    public mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        let result = try decrypt(nonce: nonce, ciphertext, associatedData: associatedData)
        if key != nil { nonce += 1 }
        return result
    }

    /// Encrypts with an explicit nonce; the counter is not touched. Never use one nonce twice.
    public func encrypt(nonce: UInt64, _ plaintext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return plaintext }
        guard nonce != UInt64.max else { throw .nonceExhausted(nonce: nonce) }
        guard plaintext.count + Self.tagLength <= Self.maximumMessageLength else {
            throw .wrongMessageLength(
                what: "plaintext", length: plaintext.count,
                expected: "at most \(Self.maximumMessageLength - Self.tagLength)")
        }
        // Only fails for a wrong nonce or key size, which are fixed here.
        guard let box = try? ChaChaPoly.seal(
            plaintext, using: SymmetricKey(data: key), nonce: Self.chachaNonce(nonce), authenticating: associatedData)
        else { preconditionFailure("ChaChaPoly.seal failed with a 32-byte key and 12-byte nonce") }
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// Decrypts with an explicit nonce; the counter is not touched. Throws `.decryptionFailed` for a wrong
    /// key, nonce or associated data, or a modified message.
    public func decrypt(nonce: UInt64, _ ciphertext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return ciphertext }
        guard nonce != UInt64.max else { throw .nonceExhausted(nonce: nonce) }
        guard ciphertext.count >= Self.tagLength else {
            throw .wrongMessageLength(what: "ciphertext", length: ciphertext.count, expected: "at least \(Self.tagLength)")
        }
        guard ciphertext.count <= Self.maximumMessageLength else {
            throw .wrongMessageLength(
                what: "ciphertext", length: ciphertext.count, expected: "at most \(Self.maximumMessageLength)")
        }
        let split = ciphertext.count - Self.tagLength
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: Self.chachaNonce(nonce), ciphertext: ciphertext[..<split], tag: ciphertext[split...])
            return Array(try ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: associatedData))
        } catch {
            throw .decryptionFailed(what: "message with nonce \(nonce)")
        }
    }

    /// Noise's ChaChaPoly nonce: 32 zero bits, then the counter as 64 bits little-endian.
    private static func chachaNonce(_ counter: UInt64) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[4 + index] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(index))) }
        // 12 bytes is always a valid ChaChaPoly nonce.
        guard let nonce = try? ChaChaPoly.Nonce(data: bytes) else { preconditionFailure("12-byte nonce rejected") }
        return nonce
    }
}
