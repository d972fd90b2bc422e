/// Something that sends datagrams to peers: a UDP socket today; the same interface will carry a path through
/// a volunteer relay, so call code does not care which it has.
public protocol DatagramTransport: Sendable {
    /// The address this transport receives on.
    var localAddress: PeerAddress { get }
    /// Queues one datagram for `destination`. Never blocks; failures are counted, not thrown.
    func send(_ bytes: [UInt8], to destination: PeerAddress)
}

/// Where one call's packets go. A direct path sends straight to the peer; a relayed path (a later issue) will
/// wrap the same transport and address the relay instead, with nothing above it changing.
public protocol MediaPath: Sendable, CustomStringConvertible {
    func send(_ bytes: [UInt8])
}

/// The peer is reached at its own address over our own socket.
public struct DirectPath: MediaPath {
    public let transport: any DatagramTransport
    public let remote: PeerAddress

    public init(transport: any DatagramTransport, remote: PeerAddress) {
        self.transport = transport
        self.remote = remote
    }

    public func send(_ bytes: [UInt8]) { transport.send(bytes, to: remote) }

    public var description: String { "direct \(transport.localAddress) -> \(remote)" }
}
