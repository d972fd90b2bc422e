import HoplineNet

/// One way a call's packets can travel: straight to the peer's address, or through a session on a volunteer
/// relay (the relay's address and the session's channel). Every inbound datagram is attributed to one.
public enum PathKey: Hashable, Sendable, CustomStringConvertible {
    case direct(PeerAddress)
    case relayed(relay: PeerAddress, channel: UInt32)

    public var isRelayed: Bool {
        if case .relayed = self { return true }
        return false
    }

    /// The address datagrams on this path are sent to (the peer, or the relay).
    public var nextHop: PeerAddress {
        switch self {
        case .direct(let address): return address
        case .relayed(let relay, _): return relay
        }
    }

    /// "direct" or "relay", as the status line and `--stats` show it (with `nextHop` beside it).
    public var kindName: String { isRelayed ? "relay" : "direct" }

    public var description: String {
        switch self {
        case .direct(let address): return "direct \(address)"
        case .relayed(let relay, let channel): return "relay \(relay) channel \(channel)"
        }
    }
}
