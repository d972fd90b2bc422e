import Crypto

/// A Noise SymmetricState (Noise spec rev 34, section 5.2) for SHA-256: the chaining key `ck`, the
/// handshake hash `h` and the CipherState the handshake encrypts with. Internal to the handshake.
struct NoiseSymmetricState: Sendable {
    /// SHA-256's output length, Noise's HASHLEN.
    static let hashLength = 32
    /// The most RFC 5869 HKDF-SHA256 can give: 255 blocks of 32 bytes.
    static let maximumExportLength = 255 * hashLength

    private(set) var cipher = NoiseCipherState(key: nil)
    private(set) var chainingKey: [UInt8]
    private(set) var handshakeHash: [UInt8]

    /// InitializeSymmetric: `h` is the protocol name zero-padded to 32 bytes, or its hash if longer.
    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        handshakeHash =
            name.count <= Self.hashLength
            ? name + [UInt8](repeating: 0, count: Self.hashLength - name.count)
            : Self.hash(name)
        chainingKey = handshakeHash
    }

    mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = Self.hash(handshakeHash + data)
    }

    mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let outputs = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, count: 2)
        chainingKey = outputs[0]
        cipher = NoiseCipherState(key: outputs[1])
    }

    mutating func mixKeyAndHash(_ inputKeyMaterial: [UInt8]) {
        let outputs = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, count: 3)
        chainingKey = outputs[0]
        mixHash(outputs[1])
        cipher = NoiseCipherState(key: outputs[2])
    }

    mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `what` names the field in a decryption error, e.g. "handshake message 1 payload".
    mutating func decryptAndHash(_ ciphertext: [UInt8], what: String) throws(NoiseError) -> [UInt8] {
        let plaintext: [UInt8]
        do {
            plaintext = try cipher.decrypt(ciphertext, associatedData: handshakeHash)
        } catch .decryptionFailed {
            throw .decryptionFailed(what: what)
        }
        mixHash(ciphertext)
        return plaintext
    }

    /// Split: the initiator-to-responder and responder-to-initiator cipher states, in that order.
    func split() -> (NoiseCipherState, NoiseCipherState) {
        let outputs = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: [], count: 2)
        return (NoiseCipherState(key: outputs[0]), NoiseCipherState(key: outputs[1]))
    }

    /// Keying material for another protocol (e.g. SRTP), bound to this handshake: RFC 5869 HKDF-SHA256 with
    /// the final chaining key as input key material, the handshake hash as salt and `label` as info.
    func exportKey(label: String, length: Int) throws(NoiseError) -> [UInt8] {
        guard (1...Self.maximumExportLength).contains(length) else { throw .invalidExportLength(length: length) }
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: chainingKey), salt: handshakeHash, info: Array(label.utf8),
            outputByteCount: length)
        return key.withUnsafeBytes { Array($0) }
    }

    static func hash(_ data: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: data)) }

    static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// Noise's HKDF (section 4.3): `count` (2 or 3) outputs of 32 bytes from HMAC-SHA256.
    static func hkdf(chainingKey: [UInt8], inputKeyMaterial: [UInt8], count: Int) -> [[UInt8]] {
        let tempKey = hmac(key: chainingKey, inputKeyMaterial)
        var outputs: [[UInt8]] = []
        var previous: [UInt8] = []
        for index in 1...count {
            previous = hmac(key: tempKey, previous + [UInt8(index)])
            outputs.append(previous)
        }
        return outputs
    }
}
