import HoplineNet

/// One reading of `RelayCounters`.
public struct RelayStatistics: Equatable, Sendable {
    public var sessionsActive: Int
    public var sessionsCreated: Int
    public var sessionsExpired: Int
    public var sessionsLeft: Int
    public var joins: Int
    public var packetsForwarded: Int
    public var bytesForwarded: Int
    public var cookiesIssued: Int
    public var rateLimitHits: Int
    /// Relay requests other than DATA (COOKIE_REQUEST, ALLOCATE, JOIN, LEAVE, and malformed ones).
    public var controlDatagramsIn: Int
    public var controlBytesIn: Int
    /// Bytes of COOKIE, JOINED and REFUSED replies (DRAIN is counted in `drainsSent`).
    public var controlBytesOut: Int
    public var drainsSent: Int
    public var sendFailures: Int
    public var draining: Bool
    public var drops: [RelayDropReason: Int]
    public var refusals: [RelayRefusal: Int]

    public var totalDrops: Int { drops.values.reduce(0, +) }
    public var totalRefusals: Int { refusals.values.reduce(0, +) }
}
