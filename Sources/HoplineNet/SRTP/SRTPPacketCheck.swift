/// The length checks Hopline makes before handing bytes to libsrtp2: no datagram, however short or strange,
/// reaches libsrtp2's pointer arithmetic unless its header, tag and index fit, and the error says which part
/// did not. Each function returns the problem, or nil when the bytes fit.
enum SRTPPacketCheck {
    static let rtpFixedHeaderLength = 12
    static let rtcpHeaderLength = 8
    /// AEAD_AES_128_GCM's authentication tag (RFC 7714 section 7).
    static let tagLength = 16
    /// The SRTCP trailer word: the E flag and the 31-bit SRTCP index.
    static let srtcpIndexLength = 4
    /// The largest UDP payload over IPv4.
    static let maximumDatagramLength = 65_507

    /// Checks an RTP packet to protect (`trailer` is what protection appends) or an SRTP packet to unprotect
    /// (`trailer` is the tag it must already carry).
    static func rtpProblem(_ bytes: [UInt8], trailer: Int, protecting: Bool) -> String? {
        let length = bytes.count
        if let problem = sizeProblem(length, trailer: trailer, protecting: protecting) { return problem }
        guard length >= rtpFixedHeaderLength else {
            return "shorter than the \(rtpFixedHeaderLength)-byte RTP header"
        }
        if let problem = versionProblem(bytes[0], "RTP") { return problem }
        let csrcCount = Int(bytes[0] & 0x0F)
        var header = rtpFixedHeaderLength + 4 * csrcCount
        guard header <= length else { return "its \(csrcCount) CSRCs need a \(header)-byte header" }
        if bytes[0] & 0x10 != 0 {
            guard header + 4 <= length else { return "the header extension's first word is cut off" }
            let words = Int(bytes[header + 2]) << 8 | Int(bytes[header + 3])
            header += 4 + 4 * words
            guard header <= length else { return "its header extension needs a \(header)-byte header" }
        }
        if !protecting && header + trailer > length {
            return "the \(header)-byte RTP header leaves no room for the \(trailer)-byte authentication tag"
        }
        return nil
    }

    /// Checks an RTCP packet to protect or an SRTCP packet (header, tag, index word) to unprotect.
    static func rtcpProblem(_ bytes: [UInt8], trailer: Int, protecting: Bool) -> String? {
        let length = bytes.count
        if let problem = sizeProblem(length, trailer: trailer, protecting: protecting) { return problem }
        let minimum = rtcpHeaderLength + (protecting ? 0 : trailer)
        guard length >= minimum else {
            return protecting
                ? "shorter than the \(rtcpHeaderLength)-byte RTCP header"
                : "shorter than the \(minimum) bytes of the smallest SRTCP packet "
                    + "(\(rtcpHeaderLength)-byte header, \(tagLength)-byte tag, \(srtcpIndexLength)-byte index)"
        }
        return versionProblem(bytes[0], "RTCP")
    }

    private static func sizeProblem(_ length: Int, trailer: Int, protecting: Bool) -> String? {
        let limit = maximumDatagramLength - (protecting ? trailer : 0)
        guard length > limit else { return nil }
        return protecting
            ? "too large to protect: with its \(trailer)-byte trailer it exceeds "
                + "a \(maximumDatagramLength)-byte datagram"
            : "larger than a \(maximumDatagramLength)-byte UDP datagram"
    }

    private static func versionProblem(_ firstByte: UInt8, _ protocolName: String) -> String? {
        let version = firstByte >> 6
        return version == 2 ? nil : "\(protocolName) version \(version) (expected 2)"
    }
}
