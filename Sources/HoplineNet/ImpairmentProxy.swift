import HoplineCore
import NIOCore
import NIOPosix

/// A UDP proxy that impairs traffic between processes or network namespaces (this kernel has no netem): it
/// listens on one address, forwards every datagram from clients to the forward address through an
/// `ImpairmentModel`, and sends the forward address's replies back to the client that sent last, through a
/// second model with the same spec on an independent random stream (or unimpaired when `impairReplies` is
/// false). Delays are timers on the proxy's event loop; the loss, duplication and delay of the n-th datagram
/// in a direction depend only on the spec, n and the arrival times, so the same seed gives the same fates.
/// With `mediaOnly`, only RTP media datagrams (first byte 128-191, not RTCP) meet the model and count as n;
/// everything else (handshake, signaling, SRTCP) passes at once, as in the loopback lab, so a call's n-th
/// media packet has the fate of the lab's and of any other RTP sender's n-th packet under the same seed.
///
/// Thread-safe: all work happens on one event loop; `statistics` can be read from any thread. Datagrams held
/// for later delivery are bounded by `maxHeld`; beyond it they are dropped and counted.
public final class ImpairmentProxy: Sendable {
    /// The address clients send to (the bound port when 0 was asked for).
    public let listenAddress: PeerAddress
    /// Where client datagrams go.
    public let forwardAddress: PeerAddress
    /// The local address of the socket that talks to the forward address.
    public let upstreamAddress: PeerAddress
    public let spec: ImpairmentSpec
    public let impairsReplies: Bool
    /// The most datagrams held for later delivery at once, per proxy.
    public static let maxHeld = 65_536

    private let listenChannel: any Channel
    private let upstreamChannel: any Channel
    private let counters: ImpairmentProxyCounters
    private let ownedGroup: MultiThreadedEventLoopGroup?

    /// Counters for both directions; read at any time.
    public var statistics: ImpairmentProxyStatistics { counters.snapshot() }

    /// Starts a proxy on `group` (both of its sockets on one event loop of it). Fails if either socket cannot
    /// be bound.
    public static func start(
        listen: PeerAddress, forward: PeerAddress, spec: ImpairmentSpec, impairReplies: Bool = true,
        mediaOnly: Bool = false, group: any EventLoopGroup
    ) throws -> ImpairmentProxy {
        try start(
            listen: listen, forward: forward, spec: spec, impairReplies: impairReplies, mediaOnly: mediaOnly,
            group: group, owned: nil)
    }

    /// Starts a proxy on a one-thread event loop group of its own, shut down by `close()`.
    public static func start(
        listen: PeerAddress, forward: PeerAddress, spec: ImpairmentSpec, impairReplies: Bool = true,
        mediaOnly: Bool = false
    ) throws -> ImpairmentProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            return try start(
                listen: listen, forward: forward, spec: spec, impairReplies: impairReplies, mediaOnly: mediaOnly,
                group: group, owned: group)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private static func start(
        listen: PeerAddress, forward: PeerAddress, spec: ImpairmentSpec, impairReplies: Bool, mediaOnly: Bool,
        group: any EventLoopGroup, owned: MultiThreadedEventLoopGroup?
    ) throws -> ImpairmentProxy {
        let loop = group.next()
        let counters = ImpairmentProxyCounters()
        let forwardSocketAddress = forward.socketAddress
        let relay = try loop.submit {
            NIOLoopBound(
                ImpairmentRelay(
                    eventLoop: loop, forwardAddress: forwardSocketAddress, spec: spec, impairReplies: impairReplies,
                    mediaOnly: mediaOnly, maxHeld: maxHeld, counters: counters),
                eventLoop: loop)
        }.wait()
        let (listenChannel, listenAddress) = try bind(listen, loop: loop, relay: relay, isListeningSocket: true)
        let upstreamBind = try PeerAddress(parsing: forward.socketAddress.protocol == .inet6 ? "[::]:0" : "0.0.0.0:0")
        let upstreamChannel: any Channel, upstreamAddress: PeerAddress
        do {
            (upstreamChannel, upstreamAddress) = try bind(upstreamBind, loop: loop, relay: relay, isListeningSocket: false)
        } catch {
            try? listenChannel.close().wait()
            throw error
        }
        try loop.submit { relay.value.attach(listen: listenChannel, upstream: upstreamChannel) }.wait()
        return ImpairmentProxy(
            listenChannel: listenChannel, listenAddress: listenAddress, upstreamChannel: upstreamChannel,
            upstreamAddress: upstreamAddress, forward: forward, spec: spec, impairReplies: impairReplies,
            counters: counters, ownedGroup: owned)
    }

    private static func bind(
        _ address: PeerAddress, loop: any EventLoop, relay: NIOLoopBound<ImpairmentRelay>, isListeningSocket: Bool
    ) throws -> (any Channel, PeerAddress) {
        let bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ImpairmentRelayHandler(relay: relay, isListeningSocket: isListeningSocket))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.bind(to: address.socketAddress).wait()
        } catch {
            throw TransportError.bindFailed(address: address.description, reason: "\(error)")
        }
        guard let bound = channel.localAddress else {
            channel.close(promise: nil)
            throw TransportError.bindFailed(address: address.description, reason: "no local address after bind")
        }
        return (channel, PeerAddress(bound))
    }

    private init(
        listenChannel: any Channel, listenAddress: PeerAddress, upstreamChannel: any Channel,
        upstreamAddress: PeerAddress, forward: PeerAddress, spec: ImpairmentSpec, impairReplies: Bool,
        counters: ImpairmentProxyCounters, ownedGroup: MultiThreadedEventLoopGroup?
    ) {
        self.listenChannel = listenChannel
        self.listenAddress = listenAddress
        self.upstreamChannel = upstreamChannel
        self.upstreamAddress = upstreamAddress
        forwardAddress = forward
        self.spec = spec
        impairsReplies = impairReplies
        self.counters = counters
        self.ownedGroup = ownedGroup
    }

    /// Closes both sockets (datagrams still held are discarded) and, if the proxy made its own event loop
    /// group, shuts it down. Safe to call twice.
    public func close() {
        try? listenChannel.close().wait()
        try? upstreamChannel.close().wait()
        try? ownedGroup?.syncShutdownGracefully()
    }
}
