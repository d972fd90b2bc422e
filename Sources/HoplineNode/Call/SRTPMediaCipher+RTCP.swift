import HoplineNet

/// SRTCP for a call's RTCP reports: the same libsrtp2 sessions (and keys, epoch by epoch) as the media, with
/// the SRTCP index and the E flag (the report body is encrypted); a refused packet lands in the same
/// categories as SRTP.
extension SRTPMediaCipher {
    public func protectRTCP(_ rtcp: [UInt8]) throws -> [UInt8] { try outbound.protectRTCP(rtcp) }

    public func unprotectRTCP(_ srtcp: [UInt8]) throws(MediaCipherRejection) -> [UInt8] {
        try openInbound { session throws(SRTPError) in try session.unprotectRTCP(srtcp) }
    }
}
