/// Why a DHT value was not believed. Every rejected value is counted under one reason
/// (`RecordVerifier.rejections`) and ignored; none of them can connect a call.
public enum RecordRejection: String, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// Not a record at all, or a record whose body does not parse.
    case malformed
    /// A record of another kind than the key holds.
    case wrongKind
    /// A well-signed record about another node than the key belongs to (or a request for someone else).
    case wrongNode
    /// The signing key is not the one the node ID binds: someone signing for a node ID that is not theirs.
    case keyNotBound
    /// The signature does not verify (altered or forged).
    case badSignature
    /// Past its expiry.
    case expired
    /// Issued in the future (beyond the allowed clock skew), or living longer than any record may.
    case badLifetime
    /// Older than (or a different record with the same sequence as) one already seen from that node.
    case replayed
    /// A connection request or answer that does not decrypt with this node's key.
    case undecryptable

    public var description: String { rawValue }
}
