import Crypto
import HoplineNet

/// A DHT key (OpenDHT's 160-bit InfoHash): the first 20 bytes of SHA-256(label || subject). Every key
/// Hopline uses is derived from a label and a node ID (or a fixed name), so anyone can compute where a
/// node's records live, and no two kinds of record share a key.
public struct DHTKey: Hashable, Sendable, CustomStringConvertible {
    public static let length = 20
    public let bytes: [UInt8]

    public init(label: String, subject: [UInt8] = []) {
        bytes = Array(SHA256.hash(data: Array(label.utf8) + subject).prefix(Self.length))
    }

    /// Where a node publishes its presence record.
    public static func presence(of node: NodeID) -> DHTKey { DHTKey(label: "hopline presence v1", subject: node.publicKey) }
    /// Where callers put connection requests for `node`, which it listens on.
    public static func introductions(to node: NodeID) -> DHTKey {
        DHTKey(label: "hopline introduce v1", subject: node.publicKey)
    }
    /// Where a callee puts its answer to the request of `caller` for `session`.
    public static func answer(to caller: NodeID, session: UInt32) -> DHTKey {
        DHTKey(label: "hopline answer v1", subject: caller.publicKey + withUnsafeBytes(of: session.bigEndian) { Array($0) })
    }
    /// The well-known key every volunteer relay announces itself under.
    public static let relayDirectory = DHTKey(label: "hopline relays v1")

    public var description: String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
