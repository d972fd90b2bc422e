import Foundation

/// How a node joins Hopline's DHT (`[dht]` in the configuration, `--dht-bootstrap`): OpenDHT's network id
/// (Hopline's own, so it never mixes with Jami's network), the runner's UDP port, and the bootstrap nodes.
/// Immutable and Sendable.
public struct DHTSettings: Sendable, Equatable {
    /// Hopline's OpenDHT network id; `dhtnode -n 18508` serves as a bootstrap node for it.
    public static let defaultNetwork: UInt32 = 18508

    /// OpenDHT network id (`[dht] network`): nodes of other networks are ignored.
    public var network: UInt32
    /// The runner's own UDP port (`[dht] port`); 0 lets the system choose.
    public var port: UInt16
    /// Nodes to join through (`[dht] bootstrap`, `--dht-bootstrap`); empty: the DHT is not used.
    public var bootstrap: [DHTBootstrapNode]
    /// The runner's own DHT node ID (20 bytes); nil: a random one. A node that comes back with the ID it had
    /// takes its old place in others' routing tables instead of leaving a departed entry behind.
    public var nodeID: [UInt8]?

    public init(network: UInt32 = Self.defaultNetwork, port: UInt16 = 0, bootstrap: [DHTBootstrapNode] = []) {
        self.network = network
        self.port = port
        self.bootstrap = bootstrap
    }

    /// Whether discovery runs at all: only with at least one bootstrap node.
    public var enabled: Bool { !bootstrap.isEmpty }
}

/// One bootstrap node, `HOST:PORT` (a name, an IPv4 address or `[IPv6]:PORT`).
public struct DHTBootstrapNode: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; the error says what was expected.
    public init(parsing text: String) throws(DHTError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var host: Substring
        var portText: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"), trimmed[trimmed.index(after: close)...].hasPrefix(":") else {
                throw .invalidBootstrap(text, reason: "expected [IPv6]:PORT")
            }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            portText = trimmed[trimmed.index(close, offsetBy: 2)...]
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else { throw .invalidBootstrap(text, reason: "expected HOST:PORT") }
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .invalidBootstrap(text, reason: "the host is empty") }
        guard let port = UInt16(portText), port > 0 else {
            throw .invalidBootstrap(text, reason: "port '\(portText)' is not 1-65535")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
