internal import CSRTP

/// One direction of an SRTP stream, protected with AEAD_AES_128_GCM (RFC 7714) by libsrtp2. An outbound
/// session encrypts and authenticates RTP and RTCP packets of any SSRC; an inbound session authenticates and
/// decrypts them, and rejects any packet index it has already accepted or that is older than its replay
/// window. The RTP header stays readable (it is authenticated, not encrypted); the payload and the RTCP
/// body are ciphertext to anyone without the keys, relays included.
///
/// Threading: not thread-safe; one owner uses a session from one thread at a time (libsrtp2 updates the
/// replay window and packet counters on every call). Different sessions may be used on different threads
/// concurrently. Real-time: every call allocates the returned array; none blocks.
///
/// Each direction needs its own `SRTPKeyMaterial` (see there): an outbound session on one peer pairs with an
/// inbound session created from the same key material on the other.
///
/// Rollover hazard: an inbound session takes the first packet it authenticates from an SSRC to have
/// rollover counter 0. If the first packet it hears was sent after the sender's sequence number wrapped
/// past 65535, that packet and all later ones of the SSRC fail as forged. Senders should therefore start
/// their random sequence numbers below 32768 (as libwebrtc does), so the first wrap comes minutes into a call.
public final class SRTPSession {
    /// Which way a session processes packets.
    public enum Direction: String, Hashable, Sendable {
        /// `protect` and `protectRTCP` (libsrtp2's `ssrc_any_outbound`).
        case outbound
        /// `unprotect` and `unprotectRTCP` (libsrtp2's `ssrc_any_inbound`).
        case inbound
    }

    /// Packets the inbound session remembers for replay protection, and how far out of order a packet may
    /// arrive (in packet indices) and still be accepted. 1024 packets is over 20 s of 20 ms frames.
    public static let defaultReplayWindow = 1_024
    /// What libsrtp2 accepts as an SRTP replay window. (SRTCP always uses libsrtp2's fixed 128 packets.)
    public static let replayWindowRange = 64...32_767
    /// Bytes `protect` adds to an RTP packet: the 16-byte GCM authentication tag.
    public static let rtpOverhead = SRTPPacketCheck.tagLength
    /// Bytes `protectRTCP` adds to an RTCP packet: the 16-byte tag and the 4-byte E flag and SRTCP index.
    public static let rtcpOverhead = SRTPPacketCheck.tagLength + SRTPPacketCheck.srtcpIndexLength

    public let direction: Direction
    public let replayWindow: Int
    private let context: OpaquePointer
    /// Free space after the packet in the working buffer: libsrtp2 writes the tag (and index) there, and
    /// requires room for its largest trailer whatever the policy.
    private static let workingRoom = Int(SRTP_MAX_TRAILER_LEN) + SRTPPacketCheck.srtcpIndexLength

    /// Creates a session for `direction` with AEAD_AES_128_GCM for both SRTP and SRTCP. libsrtp2 derives
    /// the session keys from `keys` here and keeps no reference to them.
    public init(direction: Direction, keys: SRTPKeyMaterial, replayWindow: Int = defaultReplayWindow)
        throws(SRTPError)
    {
        guard Self.replayWindowRange.contains(replayWindow) else { throw .invalidReplayWindow(replayWindow) }
        try SRTPLibrary.initialize()
        var policy = srtp_policy_t()
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = UInt(replayWindow)
        policy.allow_repeat_tx = 0  // never encrypt two packets under one index: GCM would leak both
        var created: OpaquePointer?
        let status = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SRTPKeyMaterial.length) { key in
            _ = key.initialize(from: keys.masterKey)
            _ = UnsafeMutableBufferPointer(rebasing: key[SRTPKeyMaterial.masterKeyLength...])
                .initialize(from: keys.masterSalt)
            defer { key.update(repeating: 0) }  // wipe the joined key once libsrtp2 has derived its own
            policy.key = key.baseAddress
            return SRTPStatus(srtp_create(&created, &policy))
        }
        guard status == .ok, let created else { throw .failed(function: "srtp_create", status: status) }
        self.context = created
        self.direction = direction
        self.replayWindow = replayWindow
    }

    deinit { srtp_dealloc(context) }

    /// Encrypts and authenticates one RTP packet; returns the SRTP packet, `rtpOverhead` bytes longer.
    /// Throws `.malformed` for bytes that are not an RTP packet, `.replayed` for a sequence number (index)
    /// this session has already protected. Outbound sessions only.
    public func protect(_ rtp: [UInt8]) throws(SRTPError) -> [UInt8] {
        precondition(direction == .outbound, "SRTPSession.protect needs an outbound session")
        try check(rtp, "srtp_protect", SRTPPacketCheck.rtpProblem(rtp, trailer: Self.rtpOverhead, protecting: true))
        return try process(rtp, "srtp_protect") { srtp_protect($0, $1, $2) }
    }

    /// Authenticates and decrypts one SRTP packet; returns the RTP packet. Throws `.forged`, `.replayed` or
    /// `.malformed` for packets to count and drop; the session stays usable. Inbound sessions only.
    public func unprotect(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        precondition(direction == .inbound, "SRTPSession.unprotect needs an inbound session")
        try check(
            packet, "srtp_unprotect", SRTPPacketCheck.rtpProblem(packet, trailer: Self.rtpOverhead, protecting: false))
        return try process(packet, "srtp_unprotect") { srtp_unprotect($0, $1, $2) }
    }

    /// Encrypts and authenticates one (compound) RTCP packet; returns the SRTCP packet, `rtcpOverhead`
    /// bytes longer. Outbound sessions only.
    public func protectRTCP(_ rtcp: [UInt8]) throws(SRTPError) -> [UInt8] {
        precondition(direction == .outbound, "SRTPSession.protectRTCP needs an outbound session")
        try check(
            rtcp, "srtp_protect_rtcp", SRTPPacketCheck.rtcpProblem(rtcp, trailer: Self.rtcpOverhead, protecting: true))
        return try process(rtcp, "srtp_protect_rtcp") { srtp_protect_rtcp($0, $1, $2) }
    }

    /// Authenticates and decrypts one SRTCP packet; returns the RTCP packet. Throws `.forged`, `.replayed`
    /// or `.malformed` for packets to count and drop. Inbound sessions only.
    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        precondition(direction == .inbound, "SRTPSession.unprotectRTCP needs an inbound session")
        try check(
            packet, "srtp_unprotect_rtcp",
            SRTPPacketCheck.rtcpProblem(packet, trailer: Self.rtcpOverhead, protecting: false))
        return try process(packet, "srtp_unprotect_rtcp") { srtp_unprotect_rtcp($0, $1, $2) }
    }

    private func check(_ bytes: [UInt8], _ function: String, _ problem: String?) throws(SRTPError) {
        if let problem { throw .malformed(function: function, length: bytes.count, problem: problem) }
    }

    /// Copies `input` into a buffer with room for libsrtp2's trailer, runs `operation` on it in place, and
    /// returns the bytes libsrtp2 reports as the result.
    private func process(
        _ input: [UInt8], _ function: String,
        _ operation: (OpaquePointer, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) -> [UInt8] {
        let context = self.context
        let capacity = input.count + Self.workingRoom
        var status = SRTPStatus.ok
        var reportedLength: Int32 = 0
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
            let base = buffer.baseAddress!
            _ = UnsafeMutableBufferPointer(start: base, count: input.count).initialize(from: input)
            (base + input.count).initialize(repeating: 0, count: Self.workingRoom)
            reportedLength = Int32(input.count)
            status = SRTPStatus(operation(context, UnsafeMutableRawPointer(base), &reportedLength))
            initializedCount = status == .ok && (0...capacity).contains(Int(reportedLength)) ? Int(reportedLength) : 0
        }
        guard status == .ok else { throw SRTPError(packetFunction: function, status: status, length: input.count) }
        // libsrtp2 never reports a length outside its buffer; if it ever did, drop rather than trust it.
        guard output.count == Int(reportedLength) else { throw .failed(function: function, status: .fail) }
        return output
    }
}
