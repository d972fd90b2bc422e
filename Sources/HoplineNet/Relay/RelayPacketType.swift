/// The first byte of each relay packet (0x40-0x4F, RFC 7983's TURN ChannelData range). The formats are in
/// `RelayPacket`; the contract is `notes/relay-protocol.md` (v1).
public enum RelayPacketType: UInt8, Sendable, CaseIterable {
    /// Opaque payload for the other side of a session: channel u24, then the payload. Both directions.
    case data = 0x40
    /// Client -> relay: "send me a cookie for my address" (padded to 64 bytes).
    case cookieRequest = 0x41
    /// Relay -> client: the cookie for the request's source address, and the relay's load.
    case cookie = 0x42
    /// Client (caller) -> relay: create a session for two static keys (padded to 128 bytes).
    case allocate = 0x43
    /// Client -> relay: be side 1 or 2 of the session a token names (padded to 128 bytes).
    case join = 0x44
    /// Relay -> client: the source is now that side's address; carries a fresh token.
    case joined = 0x45
    /// Relay -> client: an ALLOCATE, JOIN or COOKIE_REQUEST was refused, with the reason.
    case refused = 0x46
    /// Relay -> client: this relay is going away; move to the standby path now.
    case drain = 0x47
    /// Client -> relay: this side leaves the session (accepted only from that side's current address).
    case leave = 0x48
}
