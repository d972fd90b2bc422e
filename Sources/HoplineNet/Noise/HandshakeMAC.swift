import Crypto

/// WireGuard's `mac1` for Hopline's handshake message 1: 16 bytes after the Noise message, HMAC-SHA256 keyed
/// with SHA-256("hopline mac1" | the responder's static public key) over the session (u32) and the Noise
/// message. Anyone who knows the responder's node ID can compute it, so it proves nothing about the sender;
/// it lets the responder drop blind garbage (random bytes, a message for another node ID) with one HMAC,
/// before any Diffie-Hellman work, cookie or answer.
///
/// Not thread-safe (it holds a keyed HMAC state); one per owner.
public struct HandshakeMAC {
    public static let length = 16
    private static let label = Array("hopline mac1".utf8)
    /// Keyed, nothing fed yet: each MAC starts from a copy.
    private let keyed: HMAC<SHA256>

    /// `responderStaticKey`: the responder's Curve25519 public key, 32 bytes (its node ID's key).
    public init(responderStaticKey: [UInt8]) {
        keyed = HMAC(key: SymmetricKey(data: SHA256.hash(data: Self.label + responderStaticKey)))
    }

    /// `noiseMessage` with its mac1 appended: what goes in a `handshakeInit` packet.
    public func appending(to noiseMessage: [UInt8], session: UInt32) -> [UInt8] {
        noiseMessage + mac(noiseMessage[...], session: session)
    }

    /// The Noise message inside `bytes` if its mac1 is right, else nil.
    public func verified(_ bytes: [UInt8], session: UInt32) -> ArraySlice<UInt8>? {
        guard bytes.count > Self.length else { return nil }
        let noise = bytes[..<(bytes.count - Self.length)]
        return constantTimeEqual(mac(noise, session: session), Array(bytes[noise.endIndex...])) ? noise : nil
    }

    private func mac(_ noise: ArraySlice<UInt8>, session: UInt32) -> [UInt8] {
        var hmac = keyed
        withUnsafeBytes(of: session.bigEndian) { hmac.update(data: $0) }
        noise.withUnsafeBytes { hmac.update(data: $0) }
        return hmac.finalize().withUnsafeBytes { Array($0.prefix(Self.length)) }
    }
}
