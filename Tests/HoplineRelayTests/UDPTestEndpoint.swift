import HoplineNet
import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// A plain UDP socket on 127.0.0.1 that speaks `RelayPacket` like a node's relay client would, and keeps
/// every datagram it receives for the test to wait on (with a deadline).
final class UDPTestEndpoint: Sendable {
    let address: SocketAddress
    private let channel: any Channel
    private let inbox = Inbox()

    init(group: any EventLoopGroup, bind: String = "127.0.0.1") throws {
        let inbox = self.inbox
        channel = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .bind(host: bind, port: 0).wait()
        address = channel.localAddress!
    }

    func send(_ bytes: [UInt8], to destination: SocketAddress) {
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func send(_ packet: RelayPacket, to destination: SocketAddress) { send(packet.serialized(), to: destination) }

    var datagrams: [[UInt8]] { inbox.list.withLock { $0 } }

    /// Waits (up to `seconds`) for a received datagram matching `predicate`, removes and returns it.
    func next(within seconds: Double = 5, where predicate: ([UInt8]) -> Bool = { _ in true }) -> [UInt8]? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let found: [UInt8]? = inbox.list.withLock { list in
                guard let index = list.firstIndex(where: predicate) else { return nil }
                return list.remove(at: index)
            }
            if let found { return found }
            usleep(2_000)
        }
        return nil
    }

    /// The next relay packet of the wanted shape.
    func nextPacket(within seconds: Double = 5, where predicate: (RelayPacket) -> Bool = { _ in true }) -> RelayPacket? {
        guard let bytes = next(within: seconds, where: { (try? RelayPacket(parsing: $0)).map(predicate) ?? false }) else { return nil }
        return try? RelayPacket(parsing: bytes)
    }

    func close() { try? channel.close().wait() }

    private final class Inbox: Sendable {
        let list = Mutex<[[UInt8]]>([])
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            inbox.list.withLock { $0.append(bytes) }
        }
    }
}

/// Client steps against a live relay: cookie, then ALLOCATE or JOIN.
extension UDPTestEndpoint {
    func cookie(from relay: SocketAddress, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let transaction = (0..<12).map { _ in UInt8.random(in: 0...255) }
        send(.cookieRequest(transaction: transaction), to: relay)
        guard case .cookie(_, let cookie, _)? = nextPacket(where: {
            if case .cookie(transaction, _, _) = $0 { return true } else { return false }
        }) else {
            XCTFail("no COOKIE from \(relay)", file: file, line: line)
            throw CancellationError()
        }
        return cookie
    }

    func allocate(at relay: SocketAddress, caller: [UInt8], callee: [UInt8]) throws -> RelayPacket? {
        let cookie = try cookie(from: relay)
        send(.allocate(transaction: [UInt8](repeating: 1, count: 12), cookie: cookie, caller: caller, callee: callee), to: relay)
        return nextPacket { if case .joined = $0 { return true }; if case .refused = $0 { return true }; return false }
    }

    func join(at relay: SocketAddress, token: RelayToken, side: RelaySide = .callee) throws -> RelayPacket? {
        let cookie = try cookie(from: relay)
        send(.join(transaction: [UInt8](repeating: 2, count: 12), cookie: cookie, side: side, token: token), to: relay)
        return nextPacket { if case .joined = $0 { return true }; if case .refused = $0 { return true }; return false }
    }
}
