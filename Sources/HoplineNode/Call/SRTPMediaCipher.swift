import HoplineNet

/// A call's media encryption with libsrtp2 (AEAD_AES_128_GCM): one outbound and one inbound `SRTPSession`,
/// keyed from the Noise handshake with one exported key per direction, so the two directions never share
/// keys. Not thread-safe: owned by the node's loop thread.
public final class SRTPMediaCipher: MediaCipher {
    let outbound: SRTPSession
    let inbound: SRTPSession

    /// Derives both directions' keys from a completed handshake.
    public init(handshake: NoiseIKHandshake) throws {
        let material = try handshake.srtpKeyingMaterial(length: SRTPKeyMaterial.length)
        outbound = try SRTPSession(direction: .outbound, keys: SRTPKeyMaterial(deriving: material.outbound))
        inbound = try SRTPSession(direction: .inbound, keys: SRTPKeyMaterial(deriving: material.inbound))
    }

    public func protect(_ rtp: [UInt8]) throws -> [UInt8] { try outbound.protect(rtp) }

    public func unprotect(_ srtp: [UInt8]) throws(MediaCipherRejection) -> [UInt8] {
        do {
            return try inbound.unprotect(srtp)
        } catch {
            throw Self.rejection(error)
        }
    }

    /// The counter an SRTP or SRTCP failure belongs in.
    static func rejection(_ error: SRTPError) -> MediaCipherRejection {
        switch error.category {
        case .replayed: return .replayed
        case .forged: return .forged
        case .malformed: return .malformed
        case .other: return .other(error.description)
        }
    }
}
