import HoplineNet
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 listener (NIOHTTP1) that answers `GET /metrics` with the Prometheus text exposition from
/// `render`, 404 for anything else, and closes each connection after its response. Thread-safe.
public final class RelayMetricsEndpoint: Sendable {
    public let localAddress: PeerAddress
    private let channel: any Channel

    /// Listens on `address` (TCP). Throws `RelayServerError.addressInUse` when the port is taken.
    public static func start(
        at address: PeerAddress, group: any EventLoopGroup, render: @escaping @Sendable () -> String
    ) throws -> RelayMetricsEndpoint {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                    }
                }
            }
        let (channel, bound) = try RelayServerError.bound(bootstrap.bind(to: address.socketAddress), address: address.description)
        return RelayMetricsEndpoint(channel: channel, localAddress: PeerAddress(bound))
    }

    private init(channel: any Channel, localAddress: PeerAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    public func close() { try? channel.close().wait() }
}

/// One HTTP request in, one response out, then close.
private final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end: respond(context: context)
        }
    }

    private func respond(context: ChannelHandlerContext) {
        guard let head else { return }
        self.head = nil
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let body: String
        if head.method == .GET, path == "/metrics" {
            status = .ok
            body = render()
        } else {
            status = .notFound
            body = "not found: try GET /metrics\n"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
