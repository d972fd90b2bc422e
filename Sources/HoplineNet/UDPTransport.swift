#if canImport(Glibc)
import Glibc
#endif
import HoplineCore
import NIOCore
import NIOPosix
import Synchronization

/// A bound UDP socket that hands every received datagram, stamped with its arrival time, to a sink (read by
/// SwiftNIO on its event loop), and sends datagrams from any thread with a direct non-blocking `sendto`.
///
/// Sending bypasses NIO on purpose: NIO closes a datagram channel on most write errors (EPERM from a local
/// firewall, ENETUNREACH toward an address with no route), which would deafen the node for good after one
/// unsendable datagram. Here a failed send is counted (`sendFailures`) and nothing else happens; it also
/// saves the hop to the event loop per datagram.
///
/// Thread-safe. Receive work happens on the socket's event loop; keep the sink cheap (queue and return).
public final class UDPTransport: DatagramTransport {
    public let localAddress: PeerAddress
    private let channel: any Channel
    private let descriptor: CInt
    private let open: Atomic<Bool>
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
        let descriptor = try UDPTransport.boundSocket(address, bufferBytes: receiveBufferBytes)
        // Vector reads (recvmmsg, 16 datagrams a call); NIO splits one receive buffer evenly between them, so
        // each gets a whole 2 KiB. One read per readiness event: NIO reads again until the socket is empty,
        // which for a call's one datagram at a time doubles the recvmmsg calls (the second finds nothing); a
        // socket with more than 16 waiting is simply reported ready again (epoll is level-triggered).
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 2_048))
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramSinkHandler(clock: clock, counters: counters, sink: sink))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.withBoundSocket(descriptor).wait()  // NIO owns (and closes) the descriptor now
        } catch {
            Glibc.close(descriptor)
            throw TransportError.bindFailed(address: address.description, reason: "\(error)")
        }
        guard let bound = channel.localAddress else {
            channel.close(promise: nil)
            throw TransportError.bindFailed(address: address.description, reason: "no local address after bind")
        }
        let transport = UDPTransport(channel: channel, descriptor: descriptor, localAddress: PeerAddress(bound), counters: counters)
        channel.closeFuture.whenComplete { [weak transport] _ in transport?.open.store(false, ordering: .sequentiallyConsistent) }
        return transport
    }

    private init(channel: any Channel, descriptor: CInt, localAddress: PeerAddress, counters: TransportCounters) {
        self.channel = channel
        self.descriptor = descriptor
        self.localAddress = localAddress
        self.counters = counters
        open = Atomic(true)
    }

    public func send(_ bytes: [UInt8], to destination: PeerAddress) {
        counters.sent(bytes: bytes.count)
        // After close the descriptor number may belong to something else: never write to it then.
        guard open.load(ordering: .sequentiallyConsistent) else {
            counters.sendFailed()
            return
        }
        if !Self.send(bytes, to: destination, on: descriptor) { counters.sendFailed() }
    }

    /// Closes the socket and waits until it is closed. Safe to call twice.
    public func close() {
        open.store(false, ordering: .sequentiallyConsistent)
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

extension UDPTransport {
    /// A non-blocking UDP socket bound to `address` (no `SO_REUSEADDR`), with its receive and send buffers set
    /// to `bufferBytes`: for a caller that hands it to SwiftNIO for reading (`withBoundSocket`) and keeps the
    /// descriptor to send on itself. Throws `TransportError.addressInUse` when the port is taken.
    public static func boundSocket(_ address: PeerAddress, bufferBytes: Int) throws(TransportError) -> CInt {
        let family = address.socketAddress.protocol.rawValue
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw .bindFailed(address: address.description, reason: "socket() failed: \(String(cString: strerror(errno)))")
        }
        var size = CInt(clamping: bufferBytes)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        let result = address.socketAddress.withSockAddr { pointer, length in Glibc.bind(descriptor, pointer, socklen_t(length)) }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            if code == EADDRINUSE { throw .addressInUse(address: address.description) }
            throw .bindFailed(address: address.description, reason: String(cString: strerror(code)))
        }
        return descriptor
    }

    /// One datagram to `destination` on `descriptor`, without blocking; false when the kernel refused it.
    public static func send(_ bytes: [UInt8], to destination: PeerAddress, on descriptor: CInt) -> Bool {
        bytes.withUnsafeBytes { buffer in
            destination.socketAddress.withSockAddr { address, length in
                sendto(descriptor, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT), address, socklen_t(length))
            }
        } >= 0
    }
}
