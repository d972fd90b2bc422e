/// What one relay allows: caps, bandwidth budgets, who may be a side address, and its timers. An immutable
/// value handed to `RelayEngine`; zero for a kbit/s budget means unlimited.
public struct RelayLimits: Equatable, Sendable {
    /// Most sessions at once; ALLOCATE beyond it is refused with `full`.
    public var maxSessions: Int
    /// Token-bucket budget of one session, both directions together, in kbit/s (0 = unlimited).
    public var maxKbpsPerSession: Int
    /// Token-bucket budget of the whole relay in kbit/s (0 = unlimited).
    public var maxTotalKbps: Int
    /// Most sessions one source IP may be a side of; beyond it ALLOCATE/JOIN is refused with `sourceLimit`.
    public var maxSessionsPerIP: Int
    /// Allow side addresses on loopback (tests and single-machine demos only).
    public var allowLoopbackPeers: Bool
    /// Refuse side addresses in private and link-local ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
    /// 169.254/16, fc00::/7, fe80::/10): for a relay on the public internet.
    public var denyPrivate: Bool
    /// A session with no DATA (and no JOIN) either way for this long is removed.
    public var idleTimeoutSeconds: Double
    /// Seconds a minted token stays valid (its expiry is now + this).
    public var tokenLifetimeSeconds: UInt32
    /// Length of one cookie epoch; a cookie is good for the current and the previous epoch.
    public var cookieEpochSeconds: Double
    /// DRAIN is sent this many times to every side, `drainIntervalMilliseconds` apart.
    public var drainRepeats: Int
    public var drainIntervalMilliseconds: Double

    /// The largest session cap the 24-bit channel space allows.
    public static let channelCapacity = Int(0xFF_FFFE)

    public init(
        maxSessions: Int = 1_000, maxKbpsPerSession: Int = 256, maxTotalKbps: Int = 100_000,
        maxSessionsPerIP: Int = 16, allowLoopbackPeers: Bool = false, denyPrivate: Bool = false,
        idleTimeoutSeconds: Double = 60, tokenLifetimeSeconds: UInt32 = 600, cookieEpochSeconds: Double = 60,
        drainRepeats: Int = 3, drainIntervalMilliseconds: Double = 50
    ) {
        self.maxSessions = maxSessions
        self.maxKbpsPerSession = maxKbpsPerSession
        self.maxTotalKbps = maxTotalKbps
        self.maxSessionsPerIP = maxSessionsPerIP
        self.allowLoopbackPeers = allowLoopbackPeers
        self.denyPrivate = denyPrivate
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.cookieEpochSeconds = cookieEpochSeconds
        self.drainRepeats = drainRepeats
        self.drainIntervalMilliseconds = drainIntervalMilliseconds
    }

    /// Fails with a message naming the first value out of range.
    public func validate() throws(RelayLimitsError) {
        guard (1...Self.channelCapacity).contains(maxSessions) else {
            throw .outOfRange(name: "max sessions", value: "\(maxSessions)", expected: "1 to \(Self.channelCapacity)")
        }
        guard maxKbpsPerSession >= 0 else {
            throw .outOfRange(name: "max kbit/s per session", value: "\(maxKbpsPerSession)", expected: "0 (unlimited) or more")
        }
        guard maxTotalKbps >= 0 else {
            throw .outOfRange(name: "max total kbit/s", value: "\(maxTotalKbps)", expected: "0 (unlimited) or more")
        }
        guard maxSessionsPerIP >= 1 else {
            throw .outOfRange(name: "max sessions per IP", value: "\(maxSessionsPerIP)", expected: "1 or more")
        }
        guard idleTimeoutSeconds > 0, cookieEpochSeconds > 0, tokenLifetimeSeconds > 0 else {
            throw .outOfRange(name: "relay timers", value: "\(idleTimeoutSeconds)/\(cookieEpochSeconds)/\(tokenLifetimeSeconds)",
                              expected: "positive idle timeout, cookie epoch and token lifetime")
        }
    }
}

/// A `RelayLimits` value that cannot work.
public enum RelayLimitsError: Error, Equatable, CustomStringConvertible {
    case outOfRange(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .outOfRange(let name, let value, let expected): return "invalid \(name) \(value) (expected \(expected))"
        }
    }
}
