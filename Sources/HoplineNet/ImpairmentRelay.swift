import HoplineCore
import NIOCore

/// The state behind an `ImpairmentProxy`: one impairment model per direction, the latest client, and the
/// two sockets. Lives on the proxy's one event loop and is only touched there (both sockets share that loop),
/// so it needs no locks; delayed datagrams are written by tasks scheduled on the same loop.
final class ImpairmentRelay {
    private let eventLoop: any EventLoop
    private let forwardAddress: SocketAddress
    private let counters: ImpairmentProxyCounters
    private let maxHeld: Int
    private var forwardModel: ImpairmentModel
    /// nil: replies pass unimpaired.
    private var replyModel: ImpairmentModel?
    /// Only RTP media meets the models; other datagrams pass at once (see `ImpairmentProxy`).
    private let mediaOnly: Bool
    private var client: SocketAddress?
    private var listenChannel: (any Channel)?
    private var upstreamChannel: (any Channel)?
    private var held = 0

    init(
        eventLoop: any EventLoop, forwardAddress: SocketAddress, spec: ImpairmentSpec, impairReplies: Bool,
        mediaOnly: Bool = false, maxHeld: Int, counters: ImpairmentProxyCounters
    ) {
        self.mediaOnly = mediaOnly
        self.eventLoop = eventLoop
        self.forwardAddress = forwardAddress
        self.counters = counters
        self.maxHeld = maxHeld
        forwardModel = ImpairmentModel(spec: spec, stream: 0)
        replyModel = impairReplies ? ImpairmentModel(spec: spec, stream: 1) : nil
    }

    func attach(listen: any Channel, upstream: any Channel) {
        listenChannel = listen
        upstreamChannel = upstream
    }

    /// A datagram from a client, on the listening socket: remembered as the reply address, passed on impaired.
    func receivedFromClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        counters.update(.clientToForward) { $0.received += 1 }
        guard let upstreamChannel else {
            counters.update(.clientToForward) { $0.unroutable += 1 }
            return
        }
        client = envelope.remoteAddress
        let sent = Self.now()
        let fate = meetsModel(envelope.data) ? forwardModel.fate(ofPacketSentAt: sent) : .delivered(at: sent)
        deliver(envelope.data, to: forwardAddress, via: upstreamChannel, fate: fate, direction: .clientToForward)
    }

    /// A datagram on the forwarding socket: a reply if it comes from the forward address, sent to the latest
    /// client (impaired unless one-way); anything else is counted and dropped.
    func receivedFromUpstream(_ envelope: AddressedEnvelope<ByteBuffer>) {
        counters.update(.forwardToClient) { $0.received += 1 }
        guard envelope.remoteAddress == forwardAddress, let client, let listenChannel else {
            counters.update(.forwardToClient) { $0.unroutable += 1 }
            return
        }
        let sent = Self.now()
        var fate = PacketFate.delivered(at: sent)
        if meetsModel(envelope.data), let drawn = replyModel?.fate(ofPacketSentAt: sent) { fate = drawn }
        deliver(envelope.data, to: client, via: listenChannel, fate: fate, direction: .forwardToClient)
    }

    /// Whether a datagram goes through the impairment: all of them, or with `mediaOnly` RTP media alone
    /// (RFC 5761 section 4: version 2, second byte outside RTCP's 192-223).
    private func meetsModel(_ data: ByteBuffer) -> Bool {
        guard mediaOnly else { return true }
        guard data.readableBytes >= 2, let first = data.getInteger(at: data.readerIndex, as: UInt8.self),
            let second = data.getInteger(at: data.readerIndex + 1, as: UInt8.self)
        else { return false }
        return first >> 6 == 2 && !(192...223).contains(second)
    }

    private func deliver(
        _ data: ByteBuffer, to destination: SocketAddress, via channel: any Channel, fate: PacketFate,
        direction: ImpairmentDirection
    ) {
        let counters = self.counters
        switch fate {
        case .lost:
            counters.update(direction) { $0.dropped += 1 }
            return
        case .duplicated:
            counters.update(direction) { $0.duplicated += 1 }
        case .delivered:
            break
        }
        let now = Self.now()
        for arrival in fate.arrivals {
            if arrival <= now {
                Self.write(data, to: destination, via: channel, direction: direction, counters: counters)
                continue
            }
            guard held < maxHeld else {
                counters.update(direction) { $0.overflowed += 1 }
                continue
            }
            // Copy: the received buffer's storage is sized for the largest datagram, too big to hold many of.
            let copy = channel.allocator.buffer(buffer: data)
            held += 1
            counters.update(direction) { $0.held += 1 }
            let relay = NIOLoopBound(self, eventLoop: eventLoop)
            eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(arrival.nanoseconds))) {
                relay.value.held -= 1
                counters.update(direction) { $0.held -= 1 }
                Self.write(copy, to: destination, via: channel, direction: direction, counters: counters)
            }
        }
    }

    private static func write(
        _ data: ByteBuffer, to destination: SocketAddress, via channel: any Channel, direction: ImpairmentDirection,
        counters: ImpairmentProxyCounters
    ) {
        counters.update(direction) { $0.forwarded += 1 }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: data)).whenFailure { _ in
            counters.update(direction) { $0.sendFailures += 1 }
        }
    }

    /// The proxy's clock: NIO's monotonic uptime, the same clock its scheduled tasks run on.
    static func now() -> ClockInstant {
        ClockInstant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds))
    }
}

/// Hands every datagram read on one of the proxy's sockets to the relay, on the event loop.
final class ImpairmentRelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let relay: NIOLoopBound<ImpairmentRelay>
    private let isListeningSocket: Bool

    init(relay: NIOLoopBound<ImpairmentRelay>, isListeningSocket: Bool) {
        self.relay = relay
        self.isListeningSocket = isListeningSocket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if isListeningSocket {
            relay.value.receivedFromClient(envelope)
        } else {
            relay.value.receivedFromUpstream(envelope)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar surface here on UDP; they must not close the socket.
    }
}
