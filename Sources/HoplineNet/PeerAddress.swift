import NIOCore

/// A UDP endpoint, IPv4 or IPv6, parsed once from `HOST:PORT` (`[v6]:PORT` for IPv6) and kept in the form
/// the socket layer needs, so sending does not re-parse it.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public let socketAddress: SocketAddress

    public init(_ socketAddress: SocketAddress) { self.socketAddress = socketAddress }

    /// Parses a numeric address: `127.0.0.1:5004`, `[::1]:5004`. Host names are not resolved here.
    public init(parsing text: String) throws(PeerAddressError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .malformed(text, reason: "expected [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .malformed(text, reason: "expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw .malformed(text, reason: "write IPv6 addresses as [ADDRESS]:PORT") }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw .malformed(text, reason: "port '\(portText)' is not a number from 0 to 65535")
        }
        do {
            socketAddress = try SocketAddress(ipAddress: String(host), port: port)
        } catch {
            throw .malformed(text, reason: "'\(host)' is not a numeric IPv4 or IPv6 address")
        }
    }

    public var port: Int { socketAddress.port ?? 0 }

    public var description: String {
        let host = socketAddress.ipAddress ?? "?"
        if case .v6 = socketAddress { return "[\(host)]:\(port)" }
        return "\(host):\(port)"
    }
}

/// Why text is not a usable `HOST:PORT` address.
public enum PeerAddressError: Error, Equatable, CustomStringConvertible {
    case malformed(String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let text, let reason): return "invalid address '\(text)': \(reason)"
        }
    }
}
