/// One address at which a node may be reachable, as exchanged through a rendezvous node (ICE-like).
/// A relayed candidate also carries the relay session's token (`relayTokenLength` bytes), the capability the
/// other end joins that session with.
public struct Candidate: Hashable, Sendable, CustomStringConvertible {
    public var kind: CandidateKind
    public var address: PeerAddress
    /// Relayed candidates only: the relay's token for the session (opaque here; see `RelayToken`).
    public var relayToken: [UInt8]?

    public static let relayTokenLength = 88

    public init(kind: CandidateKind, address: PeerAddress, relayToken: [UInt8]? = nil) {
        self.kind = kind
        self.address = address
        self.relayToken = kind == .relayed ? relayToken : nil
    }

    public var description: String { "\(kind) \(address)" }
}

/// Where a candidate address comes from.
public enum CandidateKind: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// An address of the node's own socket (its interface address and port).
    case host = 1
    /// The address a rendezvous (or any node answering bind requests) saw the node's packets come from:
    /// the public side of its NAT mapping.
    case serverReflexive = 2
    /// An address learnt from a connectivity check that arrived from somewhere not yet known.
    case peerReflexive = 3
    /// A session on a volunteer relay that forwards to the node: the relay's address and the session's token.
    case relayed = 4

    public var description: String {
        switch self {
        case .host: return "host"
        case .serverReflexive: return "srflx"
        case .peerReflexive: return "prflx"
        case .relayed: return "relay"
        }
    }
}
