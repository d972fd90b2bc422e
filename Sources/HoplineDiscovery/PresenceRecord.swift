import HoplineNet

/// What a node publishes under `DHTKey.presence(of:)`: the addresses it may be reached at (host, server-
/// reflexive, and relayed ones with the session's token) and the Hopline protocol it speaks.
///
/// Body layout: protocol version (u8), candidates (`WireWriter.candidates`: count, then kind, address and,
/// for a relayed one, its token).
public struct PresenceRecord: Equatable, Sendable {
    /// The call protocol spoken (Noise IK prologue `hopline call v1`, offer version 2).
    public static let protocolVersion: UInt8 = 1
    /// How long a presence record is believed: OpenDHT's own value lifetime (10 minutes), so the DHT does not
    /// keep dead copies much longer than they are valid. Refreshed every third of it, and at once when the
    /// node's addresses change.
    public static let lifetimeMilliseconds: UInt64 = 600_000

    public var protocolVersion: UInt8
    public var candidates: [Candidate]

    public init(protocolVersion: UInt8 = Self.protocolVersion, candidates: [Candidate]) {
        self.protocolVersion = protocolVersion
        self.candidates = candidates
    }

    public func body() -> [UInt8] {
        var writer = WireWriter()
        writer.u8(protocolVersion)
        writer.candidates(Array(candidates.prefix(16)))
        return writer.bytes
    }

    public init(body: [UInt8]) throws(WireError) {
        var reader = WireReader(body)
        protocolVersion = try reader.u8("presence protocol version")
        candidates = try reader.candidates("presence candidates")
        try reader.expectEnd("presence record")
    }
}
