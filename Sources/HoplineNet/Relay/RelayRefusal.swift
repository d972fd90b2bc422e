/// Why a relay refused an ALLOCATE or JOIN (the reason byte of REFUSED).
public enum RelayRefusal: UInt8, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// The relay's session cap is reached.
    case full = 1
    /// The relay's total bandwidth budget is spent; try another relay.
    case rateLimited = 2
    /// The relay is shutting down and takes no new sessions.
    case draining = 3
    /// The cookie does not match the source address (or is older than two epochs): get a new one.
    case badCookie = 4
    /// The token's MAC does not verify, or it names no session this relay knows.
    case badToken = 5
    /// The token's expiry has passed.
    case expired = 6
    /// The source IP already holds as many sessions as one address may.
    case sourceLimit = 7
    /// The source address may not be a side address (loopback, the relay's own, or a private range).
    case deniedAddress = 8

    public var description: String {
        switch self {
        case .full: return "relay full (session cap reached)"
        case .rateLimited: return "relay rate limited (bandwidth budget spent)"
        case .draining: return "relay draining (shutting down)"
        case .badCookie: return "bad cookie (request a new one)"
        case .badToken: return "bad token (unknown session or wrong MAC)"
        case .expired: return "token expired"
        case .sourceLimit: return "too many sessions from this source IP"
        case .deniedAddress: return "source address denied as a side address"
        }
    }

    /// A short lowercase name for metrics labels and tables (`bad_cookie`).
    public var label: String {
        switch self {
        case .full: return "full"
        case .rateLimited: return "rate_limited"
        case .draining: return "draining"
        case .badCookie: return "bad_cookie"
        case .badToken: return "bad_token"
        case .expired: return "expired"
        case .sourceLimit: return "source_limit"
        case .deniedAddress: return "denied_address"
        }
    }
}
