#if canImport(Glibc)
import Glibc
#endif
import HoplineCore
import HoplineNet
import NIOCore
import NIOPosix

/// A volunteer relay on one UDP socket (SwiftNIO `DatagramBootstrap`, vectored reads, one flush per read
/// burst). DATA is forwarded on the event loop by rewriting only the envelope's address (the received
/// buffer goes out untouched); COOKIE_REQUEST/ALLOCATE/JOIN/LEAVE go to a `RelayEngine`; every other
/// datagram (first byte outside 0x40-0x4F: the node's bind, identity and rendezvous packets) goes to the
/// injected `nonRelaySink`, which may answer through `send(_:to:)` on the same socket.
///
/// Thread-safe: `send`, `beginDraining`, `statistics` and `close` may be called from any thread. The engine
/// is confined to the event loop; the sink runs on it too, so keep the sink cheap.
public final class RelayServer: DatagramTransport, Sendable {
    public let localAddress: PeerAddress
    public let counters: RelayCounters
    public let limits: RelayLimits
    private let channel: any Channel
    /// The socket's descriptor (SwiftNIO reads it; the relay writes on it directly).
    private let descriptor: CInt
    private let handler: NIOLoopBound<RelayChannelHandler>
    private let clock: any RelayClock

    /// The largest datagram the relay receives whole (larger ones are cut by the kernel and then dropped
    /// as malformed or forwarded truncated): well above any Hopline media or control packet.
    public static let maximumDatagramBytes = 2_048

    /// Every counter, read now.
    public var statistics: RelayStatistics { counters.snapshot() }

    /// Binds `address` (port 0 picks a free port) and starts relaying.
    /// - Parameters:
    ///   - vectorReadCount: datagrams per `recvmmsg` (`ChannelOptions.datagramVectorReadMessageCount`).
    ///   - nonRelaySink: takes datagrams whose first byte is outside 0x40-0x4F; nil counts and drops them
    ///     (`RelayDropReason.notRelay`).
    /// - Throws: `RelayServerError.addressInUse` ("HOST:PORT is already in use") when the port is taken.
    public static func bind(
        to address: PeerAddress,
        limits: RelayLimits,
        group: any EventLoopGroup,
        clock: any RelayClock = SystemRelayClock(),
        receiveBufferBytes: Int = 4 << 20,
        vectorReadCount: Int = 32,
        nonRelaySink: (@Sendable (InboundDatagram) -> Void)? = nil
    ) throws -> RelayServer {
        do { try limits.validate() } catch { throw RelayServerError.bindFailed(address: address.description, reason: "\(error)") }
        let counters = RelayCounters()
        let eventLoop = group.next()
        // Our own bound socket: SwiftNIO reads it (vectored), the relay sends on the descriptor itself in
        // batches (`RelayBatchSender`), so an unsendable datagram never closes the socket.
        let descriptor: CInt
        do {
            descriptor = try UDPTransport.boundSocket(address, bufferBytes: receiveBufferBytes)
        } catch .addressInUse {
            throw RelayServerError.addressInUse(address.description)
        } catch {
            throw RelayServerError.bindFailed(address: address.description, reason: "\(error)")
        }
        let loopBound = try eventLoop.submit {
            let engine = RelayEngine(limits: limits, now: clock.now(), counters: counters)
            let sender = RelayBatchSender(descriptor: descriptor) { counters.add(counters.sendFailures) }
            let handler = RelayChannelHandler(engine: engine, clock: clock, counters: counters, sender: sender, sink: nonRelaySink)
            return NIOLoopBound(handler, eventLoop: eventLoop)
        }.wait()
        let bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
            // Vector reads split one receive buffer evenly between the messages: give each a full datagram.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: max(1, vectorReadCount) * maximumDatagramBytes))
            .channelOption(.maxMessagesPerRead, value: 4)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(loopBound.value)
                }
            }
        let future = bootstrap.withBoundSocket(descriptor)  // NIO owns (and closes) the descriptor from here
        let (channel, bound) = try RelayServerError.bound(future, address: address.description)
        let own = Self.ownAddresses(bound: bound)
        try eventLoop.submit {
            loopBound.value.engine.addOwnAddresses(own)
            loopBound.value.startTimer(on: eventLoop)
        }.wait()
        return RelayServer(
            channel: channel, descriptor: descriptor, localAddress: PeerAddress(bound), counters: counters, limits: limits,
            handler: loopBound, clock: clock)
    }

    private init(
        channel: any Channel, descriptor: CInt, localAddress: PeerAddress, counters: RelayCounters, limits: RelayLimits,
        handler: NIOLoopBound<RelayChannelHandler>, clock: any RelayClock
    ) {
        self.channel = channel
        self.descriptor = descriptor
        self.localAddress = localAddress
        self.counters = counters
        self.limits = limits
        self.handler = handler
        self.clock = clock
    }

    /// Sends one datagram from the relay's socket (for the non-relay sink's answers). Never blocks.
    public func send(_ bytes: [UInt8], to destination: PeerAddress) {
        guard channel.isActive, UDPTransport.send(bytes, to: destination, on: descriptor) else {
            counters.add(counters.sendFailures)
            return
        }
    }

    /// Starts draining: new ALLOCATE/JOIN are refused with `draining` and every session's sides get DRAIN
    /// three times, 50 ms apart. Returns at once.
    public func beginDraining() {
        let handler = self.handler
        let clock = self.clock
        channel.eventLoop.execute { handler.value.engine.beginDraining(now: clock.now()) }
    }

    /// Drains and waits (polling every 20 ms) until no session is left or `timeoutSeconds` passed.
    /// Returns true when the relay emptied.
    public func drain(timeoutSeconds: Double) -> Bool {
        beginDraining()
        let deadline = SystemRelayClock().now().monotonic.advanced(byMilliseconds: timeoutSeconds * 1000)
        while counters.sessionsActive.load(ordering: .relaxed) > 0 {
            guard SystemRelayClock().now().monotonic < deadline else { return false }
            usleep(20_000)
        }
        return true
    }

    /// Runs `body` with the engine on its event loop (tests and diagnostics) and returns its result.
    public func withEngine<Result: Sendable>(_ body: @escaping @Sendable (RelayEngine) -> Result) throws -> Result {
        let handler = self.handler
        return try channel.eventLoop.submit { body(handler.value.engine) }.wait()
    }

    /// Closes the socket and waits until it is closed. Safe to call twice.
    public func close() {
        let handler = self.handler
        try? channel.eventLoop.submit { handler.value.stopTimer() }.wait()
        try? channel.close().wait()
    }

    /// The IPs this relay can be reached at: the bound IP, or every interface address when bound to the
    /// wildcard. They are never accepted as side addresses.
    static func ownAddresses(bound: SocketAddress) -> Set<RelayIPKey> {
        var own: Set<RelayIPKey> = []
        if let key = RelayIPKey(bound), key != RelayIPKey(high: 0, low: 0xFFFF_0000_0000), key != RelayIPKey(high: 0, low: 0) {
            own.insert(key)
        } else if let devices = try? System.enumerateDevices() {
            for device in devices {
                if let address = device.address, let key = RelayIPKey(address) { own.insert(key) }
            }
        }
        // Loopback is governed by allowLoopbackPeers, not by the own-address rule.
        return own.filter { key in
            if let v4 = key.ipv4 { return v4 >> 24 != 127 }
            return !(key.high == 0 && key.low == 1)
        }
    }
}
