import HoplineNet

/// One entry of the contact book: a name the user types, the node it means, and (until discovery exists)
/// where to reach it.
public struct Contact: Sendable, Equatable {
    public let name: String
    public let nodeID: NodeID
    /// A numeric `HOST:PORT` (`[v6]:PORT` for IPv6), or nil if the file gives none.
    public let address: PeerAddress?

    public init(name: String, nodeID: NodeID, address: PeerAddress? = nil) {
        self.name = name
        self.nodeID = nodeID
        self.address = address
    }
}
