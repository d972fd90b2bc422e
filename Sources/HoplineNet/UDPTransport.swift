#if canImport(Glibc)
import Glibc
#endif
import HoplineCore
import NIOCore
import NIOPosix
import Synchronization

/// A bound UDP socket (SwiftNIO `DatagramBootstrap`) that hands every received datagram, stamped with its
/// arrival time, to a sink, and sends datagrams without blocking the caller.
///
/// Thread-safe. Receive work happens on the socket's event loop; keep the sink cheap (queue and return).
public final class UDPTransport: DatagramTransport {
    public let localAddress: PeerAddress
    private let channel: any Channel
    private let counters: TransportCounters

    /// Counters for what the transport saw; read them at any time.
    public var statistics: TransportStatistics { counters.snapshot() }

    /// Binds to `address` (port 0 picks a free port) and starts receiving into `sink`.
    public static func bind(
        to address: PeerAddress,
        group: any EventLoopGroup,
        clock: any MediaClock,
        receiveBufferBytes: Int = 4 << 20,
        sink: @escaping @Sendable (InboundDatagram) -> Void
    ) throws -> UDPTransport {
        let counters = TransportCounters()
        // No SO_REUSEADDR: a port is one node's. A second node on a taken port fails here, instead of the two
        // silently splitting the incoming packets.
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramSinkHandler(clock: clock, counters: counters, sink: sink))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.bind(to: address.socketAddress).wait()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw TransportError.addressInUse(address: address.description)
        } catch {
            throw TransportError.bindFailed(address: address.description, reason: "\(error)")
        }
        guard let bound = channel.localAddress else {
            channel.close(promise: nil)
            throw TransportError.bindFailed(address: address.description, reason: "no local address after bind")
        }
        return UDPTransport(channel: channel, localAddress: PeerAddress(bound), counters: counters)
    }

    private init(channel: any Channel, localAddress: PeerAddress, counters: TransportCounters) {
        self.channel = channel
        self.localAddress = localAddress
        self.counters = counters
    }

    public func send(_ bytes: [UInt8], to destination: PeerAddress) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        let envelope = AddressedEnvelope(remoteAddress: destination.socketAddress, data: buffer)
        let counters = self.counters
        counters.sent(bytes: bytes.count)
        channel.writeAndFlush(envelope).whenFailure { _ in counters.sendFailed() }
    }

    /// Closes the socket and waits until it is closed. Safe to call twice.
    public func close() {
        try? channel.close().wait()
    }
}

/// Why a transport could not be set up.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    case bindFailed(address: String, reason: String)
    /// Another socket (another node) has the port.
    case addressInUse(address: String)

    public var description: String {
        switch self {
        case .bindFailed(let address, let reason): return "cannot bind UDP socket to \(address): \(reason)"
        case .addressInUse(let address):
            return "\(address) is already in use (another hopline node, or another program, has that port)"
        }
    }
}

/// What a transport counted: datagrams and bytes each way, and sends the kernel refused.
public struct TransportStatistics: Equatable, Sendable {
    public var datagramsSent = 0
    public var bytesSent = 0
    public var sendFailures = 0
    public var datagramsReceived = 0
    public var bytesReceived = 0
}

final class TransportCounters: Sendable {
    private let state = Mutex(TransportStatistics())

    func sent(bytes: Int) {
        state.withLock {
            $0.datagramsSent += 1
            $0.bytesSent += bytes
        }
    }

    func sendFailed() { state.withLock { $0.sendFailures += 1 } }

    func received(bytes: Int) {
        state.withLock {
            $0.datagramsReceived += 1
            $0.bytesReceived += bytes
        }
    }

    func snapshot() -> TransportStatistics { state.withLock { $0 } }
}

/// Converts NIO envelopes into `InboundDatagram`s on the event loop and passes them to the sink.
private final class DatagramSinkHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let clock: any MediaClock
    private let counters: TransportCounters
    private let sink: @Sendable (InboundDatagram) -> Void

    init(clock: any MediaClock, counters: TransportCounters, sink: @escaping @Sendable (InboundDatagram) -> Void) {
        self.clock = clock
        self.counters = counters
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        counters.received(bytes: bytes.count)
        sink(InboundDatagram(bytes: bytes, source: PeerAddress(envelope.remoteAddress), arrival: clock.now()))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar surface here on UDP; they must not close the socket.
    }
}
