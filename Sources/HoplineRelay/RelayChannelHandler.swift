import HoplineCore
import HoplineNet
import NIOCore

/// The relay's NIO handler: classifies each datagram by its first byte, forwards DATA (queued byte for byte
/// in the `RelayBatchSender`), answers relay requests through the engine, hands everything else to the sink,
/// and sends the batch once per read burst (one `sendmmsg`). Event-loop confined.
final class RelayChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let engine: RelayEngine
    private let sender: RelayBatchSender
    private let clock: any RelayClock
    private let counters: RelayCounters
    private let sink: (@Sendable (InboundDatagram) -> Void)?
    private var context: ChannelHandlerContext?
    private var burstNow: RelayInstant?
    private var timer: RepeatedTask?

    init(
        engine: RelayEngine, clock: any RelayClock, counters: RelayCounters, sender: RelayBatchSender,
        sink: (@Sendable (InboundDatagram) -> Void)?
    ) {
        self.engine = engine
        self.sender = sender
        self.clock = clock
        self.counters = counters
        self.sink = sink
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        stopTimer()
    }

    /// Ticks the engine every 50 ms (idle expiry, DRAIN repeats), writing what it returns.
    func startTimer(on eventLoop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        timer = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
            bound.value.tick()
        }
    }

    func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    private func tick() {
        guard context != nil else { return }
        let out = engine.tick(now: clock.now())
        guard !out.isEmpty else { return }
        for (bytes, destination) in out { sender.enqueue(bytes, to: destination) }
        sender.flush()
    }

    private func now() -> RelayInstant {
        if let burstNow { return burstNow }
        let now = clock.now()
        burstNow = now
        return now
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let buffer = envelope.data
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else {
            counters.drop(.malformed)
            return
        }
        if first == RelayPacketType.data.rawValue {
            guard let high = buffer.getInteger(at: start + 1, as: UInt8.self),
                  let low = buffer.getInteger(at: start + 2, as: UInt16.self)
            else {
                counters.drop(.malformed)
                return
            }
            let channel = UInt32(high) << 16 | UInt32(low)
            guard let destination = engine.forward(
                channel: channel, length: buffer.readableBytes, from: envelope.remoteAddress, now: now().monotonic)
            else { return }
            sender.enqueue(buffer, to: destination)
        } else if RelayPacket.isRelayPacket(first) {
            let bytes = Array(buffer.readableBytesView)
            guard let reply = engine.handleRequest(bytes, from: envelope.remoteAddress, now: now()) else { return }
            sender.enqueue(reply, to: envelope.remoteAddress)
        } else if let sink {
            sink(InboundDatagram(bytes: Array(buffer.readableBytesView), source: PeerAddress(envelope.remoteAddress),
                                 arrival: now().monotonic))
        } else {
            counters.drop(.notRelay)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        burstNow = nil
        if sender.pending > 0 { sender.flush() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar surface here on UDP; they must not close the socket.
        counters.add(counters.sendFailures)
    }
}
