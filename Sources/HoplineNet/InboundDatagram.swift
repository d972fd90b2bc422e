import HoplineCore

/// One datagram as it came off a socket: its bytes, who sent it, and when it arrived on the transport's clock.
public struct InboundDatagram: Sendable {
    public var bytes: [UInt8]
    public var source: PeerAddress
    public var arrival: ClockInstant

    public init(bytes: [UInt8], source: PeerAddress, arrival: ClockInstant) {
        self.bytes = bytes
        self.source = source
        self.arrival = arrival
    }
}
