/// What a node counted about the datagrams it received and refused. Every bad packet from the network
/// lands in exactly one of these and is dropped. Owned by the node's loop thread.
public struct NodeCounters: Equatable, Sendable, Codable {
    /// Datagrams whose first byte matches no protocol on the socket.
    public var garbage = 0
    /// Control packets (0x50-0x5F) that did not parse.
    public var malformedControl = 0
    /// SRTP packets refused by libsrtp2, by category.
    public var srtpReplayed = 0
    public var srtpForged = 0
    public var srtpMalformed = 0
    public var srtpOther = 0
    /// SRTP/SRTCP datagrams that arrived while no call had media keys (e.g. at a rendezvous node).
    public var mediaWithoutCall = 0
    /// SRTCP datagrams authenticated and taken by the call (reports, or RTCP types it ignores).
    public var srtcpAccepted = 0
    /// SRTCP datagrams refused: a repeated or too old SRTCP index; failed authentication (or another
    /// libsrtp2 failure); too short for header, tag and index, or authenticated RTCP that does not parse.
    public var srtcpReplayed = 0
    public var srtcpForged = 0
    public var srtcpMalformed = 0
    /// Sealed signaling packets that failed to decrypt, were replays, or named no known session.
    public var sealedRejected = 0
    /// Authenticated `rekey` messages naming an epoch other than the next one (a peer out of step): ignored,
    /// not acknowledged. A forged or replayed one never authenticates and lands in `sealedRejected`.
    public var rekeyRejected = 0
    /// Handshake messages that could not be read (wrong key, tampering, garbage).
    public var handshakeFailures = 0
    /// Message 1s whose offer timestamp was not newer than the caller's last (replays): ignored.
    public var handshakeReplays = 0
    /// Message 1s whose mac1 was wrong (blind garbage, or sent for another node ID): no DH work; answered with
    /// a refusal while the node is quiet, dropped under a flood.
    public var handshakeMacRejected = 0
    /// Message 1s answered with a cookie instead of DH work (the node was flooded with them).
    public var handshakeCookiesSent = 0
    /// Message 1s dropped unlooked-at under a flood: their source had already sent its 4 for this second.
    public var handshakeRateLimited = 0
    /// Message 1s whose cookie was wrong or stale: dropped without DH work.
    public var handshakeCookiesRejected = 0
    /// Calls refused because one was already in progress.
    public var busyRefusals = 0
    /// SRTP packets accepted into the media receiver.
    public var mediaPacketsAccepted = 0
    /// Relay packets (0x40-0x4F) that did not parse.
    public var malformedRelay = 0
    /// Relay DATA for a session this node does not hold (from a stranger, or after it left).
    public var relayUnmatched = 0
    /// Requests not padded to at least their answer's size: not answered (no reflection amplification).
    public var unpaddedRequests = 0

    public init() {}
}

/// What a node serving as rendezvous did.
public struct RendezvousCounters: Equatable, Sendable, Codable {
    public var registrations = 0
    public var rejectedRegistrations = 0
    public var lookups = 0
    public var lookupsNotFound = 0
    public var introductions = 0
    /// Lookups without a valid cookie, answered with one (smaller than the lookup) instead of being served.
    public var cookieChallenges = 0
    /// Nodes currently registered.
    public var registered = 0

    public init() {}
}
