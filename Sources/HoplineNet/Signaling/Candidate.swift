/// One address at which a node may be reachable, as exchanged through a rendezvous node (ICE-like).
public struct Candidate: Hashable, Sendable, CustomStringConvertible {
    public var kind: CandidateKind
    public var address: PeerAddress

    public init(kind: CandidateKind, address: PeerAddress) {
        self.kind = kind
        self.address = address
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
    /// An address on a volunteer relay that forwards to the node. Nothing produces it yet: allocating relay
    /// addresses is the volunteer-relay issue's job; the wire format and the check logic already carry it.
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
