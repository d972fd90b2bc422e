/// Why the relay dropped a datagram without forwarding or answering it. Each has a counter.
public enum RelayDropReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// DATA (or LEAVE) for a channel this relay has no session for.
    case unknownChannel
    /// DATA for a known channel from an address that is not one of its proven side addresses.
    case unknownSource
    /// DATA from a side whose other side has not joined yet (or has left).
    case noPeerYet
    /// DATA over the session's or the relay's bandwidth budget.
    case rateLimited
    /// A relay packet that does not parse (truncated, unpadded request, unknown type byte).
    case malformed
    /// A relay-to-client packet (COOKIE, JOINED, REFUSED, DRAIN) sent to the relay, or DATA handed to
    /// `RelayEngine.handleRequest` instead of `forward`.
    case unexpected
    /// A reply that would have been larger than its request (never expected: a bug guard).
    case amplification
    /// A datagram outside the relay range with no sink to take it (counted, never answered).
    case notRelay

    /// Metrics label suffix: `dropped_unknown_source`.
    public var label: String {
        switch self {
        case .unknownChannel: return "unknown_channel"
        case .unknownSource: return "unknown_source"
        case .noPeerYet: return "no_peer_yet"
        case .rateLimited: return "rate_limited"
        case .malformed: return "malformed"
        case .unexpected: return "unexpected"
        case .amplification: return "amplification"
        case .notRelay: return "not_relay"
        }
    }

    public var description: String { String(label.map { $0 == "_" ? " " : $0 }) }
}
