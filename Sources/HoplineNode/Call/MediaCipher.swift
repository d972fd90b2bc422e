/// Encrypts outgoing RTP and authenticates/decrypts incoming SRTP for one call: `SRTPMediaCipher` (libsrtp2)
/// in calls. A seam so that the media session's pacing and accounting can be unit-tested without keys.
///
/// Not thread-safe: owned by the node's loop thread.
public protocol MediaCipher: AnyObject {
    /// RTP in, SRTP out.
    func protect(_ rtp: [UInt8]) throws -> [UInt8]
    /// SRTP in, RTP out; a refused packet throws `MediaCipherRejection`.
    func unprotect(_ srtp: [UInt8]) throws(MediaCipherRejection) -> [UInt8]
    /// RTCP in, SRTCP out (RFC 3711 section 3.4, on the media port as RFC 5761 allows).
    func protectRTCP(_ rtcp: [UInt8]) throws -> [UInt8]
    /// SRTCP in, RTCP out; a refused packet throws `MediaCipherRejection`.
    func unprotectRTCP(_ srtcp: [UInt8]) throws(MediaCipherRejection) -> [UInt8]
}

/// Why an incoming media packet was refused; each lands in its own counter.
public enum MediaCipherRejection: Error, Equatable, Sendable {
    case replayed
    case forged
    case malformed
    case other(String)
}
