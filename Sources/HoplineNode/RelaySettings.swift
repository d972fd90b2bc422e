import HoplineNet

/// The `[relay]` section: how `hopline relay` (or `hopline listen` with `enabled = true`) runs a volunteer
/// relay. Plain values; the CLI turns them into `HoplineRelay.RelayLimits`. Candidate relays for calls are
/// `HoplineConfiguration.relayCandidates`.
public struct RelaySettings: Sendable, Equatable {
    /// The relay's UDP socket (`listen`).
    public var listen: PeerAddress
    /// Session cap (`max_sessions`, 1 to 16777214).
    public var maxSessions: Int
    /// Bandwidth budget of one session, both directions, kbit/s; 0 = unlimited (`max_kbps_per_session`).
    public var maxKbpsPerSession: Int
    /// Bandwidth budget of the whole relay, kbit/s; 0 = unlimited (`max_total_kbps`).
    public var maxTotalKbps: Int
    /// Sessions one source IP may be a side of (`max_sessions_per_ip`).
    public var maxSessionsPerIP: Int
    /// Seconds a SIGTERM/SIGINT drain waits for sessions to move before exiting anyway (`drain_timeout_s`).
    public var drainTimeoutSeconds: Double
    /// Accept side addresses on loopback (`allow_loopback_peers`; tests and demos on one machine).
    public var allowLoopbackPeers: Bool
    /// Refuse side addresses in private and link-local ranges (`deny_private`; for public relays).
    public var denyPrivate: Bool
    /// The Prometheus endpoint, HOST:PORT (`metrics`; nil when "").
    public var metrics: PeerAddress?
    /// Also run a relay inside `hopline listen` (`enabled`).
    public var enabled: Bool

    public static let defaultListen = try! PeerAddress(parsing: "0.0.0.0:4740")

    public init(
        listen: PeerAddress = RelaySettings.defaultListen, maxSessions: Int = 1_000, maxKbpsPerSession: Int = 256,
        maxTotalKbps: Int = 100_000, maxSessionsPerIP: Int = 16, drainTimeoutSeconds: Double = 30,
        allowLoopbackPeers: Bool = false, denyPrivate: Bool = false, metrics: PeerAddress? = nil, enabled: Bool = false
    ) {
        self.listen = listen
        self.maxSessions = maxSessions
        self.maxKbpsPerSession = maxKbpsPerSession
        self.maxTotalKbps = maxTotalKbps
        self.maxSessionsPerIP = maxSessionsPerIP
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.allowLoopbackPeers = allowLoopbackPeers
        self.denyPrivate = denyPrivate
        self.metrics = metrics
        self.enabled = enabled
    }

    /// The session cap's upper bound (the 24-bit channel space minus one).
    public static let maximumSessions = 16_777_214
}
