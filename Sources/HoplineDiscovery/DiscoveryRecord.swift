import HoplineNet

/// A signed record in the DHT about one node: its presence, a connection request or answer, or a relay's
/// announcement. The signature is Hopline's own (Ed25519, inside the value, not OpenDHT's RSA identities),
/// by the signing key the node ID binds, so anyone holding only the node ID checks it
/// (`NodeIdentity.binds`). Every record carries a sequence number that only grows per node and kind, and
/// an expiry.
///
/// Layout (big-endian): `HLD` (3) | version 1 (1) | kind (1) | node ID (32) | signing key (32) |
/// sequence (8) | issued, ms since 1970 (8) | expires, ms since 1970 (8) | body length (2) | body |
/// Ed25519 signature (64) over the domain `hopline dht record v1` followed by every byte before it.
public struct DiscoveryRecord: Equatable, Sendable {
    /// What the body holds.
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case presence = 1
        case request = 2
        case answer = 3
        case relay = 4

        public var description: String {
            switch self {
            case .presence: return "presence"
            case .request: return "connection request"
            case .answer: return "connection answer"
            case .relay: return "relay announcement"
            }
        }
    }

    public static let magic: [UInt8] = Array("HLD".utf8)
    public static let formatVersion: UInt8 = 1
    public static let headerLength = 3 + 1 + 1 + 32 + 32 + 8 + 8 + 8 + 2
    public static let signatureLength = 64
    /// Bodies larger than this are refused (the largest real one, a request with 16 relayed candidates, is
    /// under 2 KiB); far below OpenDHT's 64 KiB.
    public static let maximumBodyLength = 4096
    static let domain: [UInt8] = Array("hopline dht record v1".utf8)

    public var kind: Kind
    public var nodeID: NodeID
    public var signingKey: [UInt8]
    public var sequence: UInt64
    public var issuedMilliseconds: UInt64
    public var expiresMilliseconds: UInt64
    public var body: [UInt8]
    public var signature: [UInt8]

    public init(
        kind: Kind, nodeID: NodeID, signingKey: [UInt8], sequence: UInt64, issuedMilliseconds: UInt64,
        expiresMilliseconds: UInt64, body: [UInt8], signature: [UInt8] = []
    ) {
        self.kind = kind
        self.nodeID = nodeID
        self.signingKey = signingKey
        self.sequence = sequence
        self.issuedMilliseconds = issuedMilliseconds
        self.expiresMilliseconds = expiresMilliseconds
        self.body = body
        self.signature = signature
    }

    /// A record about `identity`'s node, signed with its key.
    public static func signed(
        kind: Kind, by identity: NodeIdentity, sequence: UInt64, issuedMilliseconds: UInt64, lifetimeMilliseconds: UInt64,
        body: [UInt8]
    ) throws(NodeIdentityError) -> DiscoveryRecord {
        var record = DiscoveryRecord(
            kind: kind, nodeID: identity.nodeID, signingKey: identity.signingPublicKey, sequence: sequence,
            issuedMilliseconds: issuedMilliseconds, expiresMilliseconds: issuedMilliseconds + lifetimeMilliseconds, body: body)
        record.signature = try identity.sign(domain + record.unsignedBytes)
        return record
    }

    /// Every byte the signature covers, without the domain.
    var unsignedBytes: [UInt8] {
        var writer = WireWriter(capacity: Self.headerLength + body.count + Self.signatureLength)
        writer.append(Self.magic)
        writer.u8(Self.formatVersion)
        writer.u8(kind.rawValue)
        writer.append(nodeID.publicKey)
        writer.append(signingKey)
        writer.u64(sequence)
        writer.u64(issuedMilliseconds)
        writer.u64(expiresMilliseconds)
        writer.u16(UInt16(body.count))
        writer.append(body)
        return writer.bytes
    }

    /// Whether the signature is valid and made by the key the node ID binds.
    public var signatureIsValid: Bool {
        NodeIdentity.verify(signature: signature, for: Self.domain + unsignedBytes, signingPublicKey: signingKey)
    }

    public var keyIsBound: Bool { NodeIdentity.binds(signingKey: signingKey, to: nodeID) }

    public func serialized() -> [UInt8] { unsignedBytes + signature }

    /// Parses the layout; checks nothing cryptographic (`RecordVerifier` does).
    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        guard try reader.bytes(3, "record magic") == Self.magic else {
            throw .invalidValue(field: "record magic", value: Int(bytes[0]), expected: "'HLD'")
        }
        let version = try reader.u8("record version")
        guard version == Self.formatVersion else {
            throw .invalidValue(field: "record version", value: Int(version), expected: "\(Self.formatVersion)")
        }
        let rawKind = try reader.u8("record kind")
        guard let kind = Kind(rawValue: rawKind) else {
            throw .invalidValue(field: "record kind", value: Int(rawKind), expected: "1...4")
        }
        self.kind = kind
        guard let node = try? NodeID(publicKeyBytes: try reader.bytes(32, "record node ID")) else {
            throw .truncated(field: "record node ID", needed: 32, available: 0)
        }
        nodeID = node
        signingKey = try reader.bytes(32, "record signing key")
        sequence = try reader.u64("record sequence")
        issuedMilliseconds = try reader.u64("record issued")
        expiresMilliseconds = try reader.u64("record expires")
        let length = Int(try reader.u16("record body length"))
        guard length <= Self.maximumBodyLength else {
            throw .invalidValue(field: "record body length", value: length, expected: "at most \(Self.maximumBodyLength)")
        }
        body = try reader.bytes(length, "record body")
        signature = try reader.bytes(Self.signatureLength, "record signature")
        try reader.expectEnd("record")
    }
}
