/// One direction's key ratchet for rekeying a call without a new handshake: epoch 0 is the handshake's own
/// transport and SRTP keys; each `advance()` derives epoch n+1 with Noise's HKDF from a chain key that only
/// moves forward (`ck, k_signaling, k_srtp = HKDF(ck, "", 3)`, as the handshake's `MixKey` and WireGuard's
/// KDF chain), so the keys of an epoch cannot be recomputed from anything kept after it (forward secrecy
/// within a call), while both sides still derive the same next keys without sending any key material.
///
/// The seed comes from the completed handshake (`NoiseIKHandshake.rekeyChains()`), one per direction. A
/// Sendable value type: keep one copy per direction and side (a copy could derive the next keys again).
public struct NoiseRekeyChain: Sendable {
    /// The keys of one epoch: a transport cipher state for sealed signaling (the caller gives the nonces),
    /// and 28 bytes of SRTP master key and salt (`SRTPKeyMaterial(deriving:)`).
    public struct EpochKeys: Sendable {
        public let epoch: UInt32
        public let signaling: NoiseCipherState
        public let srtp: [UInt8]
    }

    /// SRTP master key and salt for AEAD_AES_128_GCM (16 + 12 bytes).
    public static let srtpLength = 28
    /// The epoch of the keys the last `advance()` returned (0: none yet, the handshake's keys).
    public private(set) var epoch: UInt32 = 0
    private var chainKey: [UInt8]

    /// `seed` is 32 bytes exported from the handshake (different for each direction).
    public init(seed: [UInt8]) {
        precondition(seed.count == NoiseSymmetricState.hashLength, "a rekey chain seed is 32 bytes")
        chainKey = seed
    }

    /// Derives the next epoch's keys and forgets the chain key that led to them.
    public mutating func advance() -> EpochKeys {
        let outputs = NoiseSymmetricState.hkdf(chainingKey: chainKey, inputKeyMaterial: [], count: 3)
        chainKey = outputs[0]
        epoch += 1
        return EpochKeys(
            epoch: epoch, signaling: NoiseCipherState(key: outputs[1]), srtp: Array(outputs[2].prefix(Self.srtpLength)))
    }
}
