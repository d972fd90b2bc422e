/// What one datagram on a node's single UDP socket is, decided from its first byte alone (RFC 7983 style),
/// so that signaling, address discovery, rendezvous and media share one port (and one NAT mapping).
///
/// | first byte | meaning |
/// | --- | --- |
/// | 0x40-0x4F | a relay packet (`RelayPacket`: DATA, COOKIE, ALLOCATE, JOIN, ...; TURN's ChannelData range) |
/// | 0x50-0x61 | a Hopline control packet (`ControlPacketType`); 80-127 is unused by STUN (0-3), ZRTP (16-19), DTLS (20-63), TURN channels (64-79, Hopline's relay packets) and RTP (128-191) |
/// | 128-191 with second byte 192-223 | SRTCP (RFC 5761 multiplexing) |
/// | 128-191 otherwise | SRTP |
/// | anything else | garbage: counted and dropped |
public enum DatagramClass: Equatable, Sendable {
    case control(ControlPacketType)
    /// First byte 0x40-0x4F: a `RelayPacket` (to or from a volunteer relay).
    case relay
    case srtp
    case srtcp
    case unknown

    public static func classify(_ bytes: [UInt8]) -> DatagramClass {
        guard let first = bytes.first else { return .unknown }
        if (128...191).contains(first) {
            guard bytes.count >= 2 else { return .unknown }
            return (192...223).contains(bytes[1]) ? .srtcp : .srtp
        }
        if RelayPacket.isRelayPacket(first) { return .relay }
        if let type = ControlPacketType(rawValue: first) { return .control(type) }
        return .unknown
    }
}

/// The first byte of each Hopline control packet. The formats are in `ControlPacket`.
public enum ControlPacketType: UInt8, Sendable, CaseIterable {
    /// Noise IK message 1 (initiator -> responder), carrying the call offer.
    case handshakeInit = 0x50
    /// Noise IK message 2 (responder -> initiator), carrying the first answer (ringing/accept/reject/busy).
    case handshakeResponse = 0x51
    /// A signaling message sealed with the handshake's transport keys.
    case sealed = 0x52
    /// Unauthenticated hint that a handshake message could not be processed (e.g. encrypted to another key).
    case handshakeRefused = 0x53
    /// "What address do you see me at?" (STUN-like binding request).
    case bindRequest = 0x54
    /// The answer: the source address the request came from.
    case bindResponse = 0x55
    /// "Which node are you?": asks for the static public key (trust on first use for bare HOST:PORT calls).
    case identityRequest = 0x56
    case identityResponse = 0x57
    /// A connectivity check (hole punch) toward one candidate of the peer.
    case connectivityCheck = 0x58
    case connectivityCheckResponse = 0x59
    /// A node registers its candidates at a rendezvous node, signed with its Ed25519 key.
    case rendezvousRegister = 0x5A
    case rendezvousRegistered = 0x5B
    /// A caller asks the rendezvous for a node's candidates, giving its own.
    case rendezvousLookup = 0x5C
    case rendezvousLookupResult = 0x5D
    /// The rendezvous tells a registered node that a caller wants to reach it, with the caller's candidates.
    case rendezvousIntroduce = 0x5E
    /// The rendezvous' answer to a lookup without a valid cookie: the cookie to send it again with.
    case rendezvousCookie = 0x5F
    /// Noise IK message 1 with the responder's cookie (sent after a `handshakeCookie`).
    case handshakeInitWithCookie = 0x60
    /// A busy responder's answer to a message 1 without a valid cookie: no Diffie-Hellman work is done until
    /// the initiator proves its address with this cookie.
    case handshakeCookie = 0x61
}
