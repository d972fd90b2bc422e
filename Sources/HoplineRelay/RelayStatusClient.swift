import HoplineNet
import NIOCore
import NIOPosix

/// Fetches a relay's `GET /metrics` over plain HTTP/1.1 (one connection, closed by the server) for
/// `hopline relay status`. Blocking; call from a command, not from an event loop.
public enum RelayStatusClient {
    /// The response body. Throws `RelayStatusError` naming the address when nothing listens, the request
    /// times out, or the answer is not `200 OK`.
    public static func fetchMetrics(from address: PeerAddress, group: any EventLoopGroup, timeoutSeconds: Double = 5) throws -> String {
        let promise = group.next().makePromise(of: [UInt8].self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeoutSeconds * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(to: address.socketAddress).wait()
        } catch {
            promise.fail(error)
            if let io = error as? IOError, io.errnoCode == 111 { throw RelayStatusError.nothingListening(address.description) }
            if error is NIOConnectionError || error is ChannelError {
                throw RelayStatusError.nothingListening(address.description)
            }
            throw RelayStatusError.failed(address.description, "\(error)")
        }
        let request = "GET /metrics HTTP/1.1\r\nHost: \(address)\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
        channel.writeAndFlush(channel.allocator.buffer(string: request), promise: nil)
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeoutSeconds * 1000))) {
            promise.fail(RelayStatusError.timedOut(address.description, timeoutSeconds))
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        let response: [UInt8]
        do {
            response = try promise.futureResult.wait()
        } catch let error as RelayStatusError {
            throw error
        } catch {
            throw RelayStatusError.failed(address.description, "\(error)")
        }
        return try body(of: response, from: address.description)
    }

    /// Splits a raw HTTP/1.x response into status and body; the body of a 200, or an error.
    static func body(of response: [UInt8], from address: String) throws -> String {
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.firstRange(of: "\r\n\r\n") else {
            throw RelayStatusError.badResponse(address, "no complete HTTP response (\(response.count) bytes)")
        }
        let statusLine = text[..<headerEnd.lowerBound].split(separator: "\r\n").first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else {
            throw RelayStatusError.badResponse(address, "not an HTTP response: '\(statusLine.prefix(60))'")
        }
        guard parts[1] == "200" else { throw RelayStatusError.badResponse(address, "HTTP status '\(statusLine)' (expected 200)") }
        return String(text[headerEnd.upperBound...])
    }
}

/// Why `relay status` got no metrics.
public enum RelayStatusError: Error, Equatable, CustomStringConvertible {
    case nothingListening(String)
    case timedOut(String, Double)
    case badResponse(String, String)
    case failed(String, String)

    public var description: String {
        switch self {
        case .nothingListening(let address):
            return "nothing is listening on \(address) (is `hopline relay --metrics \(address)` running?)"
        case .timedOut(let address, let seconds): return "no answer from \(address) within \(seconds) s"
        case .badResponse(let address, let reason): return "unexpected answer from \(address): \(reason)"
        case .failed(let address, let reason): return "cannot fetch metrics from \(address): \(reason)"
        }
    }
}

/// Gathers every byte of the response until the server closes the connection.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<[UInt8]>
    private var bytes: [UInt8] = []

    init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard bytes.count < 4 << 20 else { return }  // a metrics page is a few KiB; ignore a runaway server
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    func channelInactive(context: ChannelHandlerContext) { promise.succeed(bytes) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
