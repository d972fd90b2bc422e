/// A node's signed announcement to a rendezvous node: "node with static key K (and signing key S) can be
/// reached at these candidates", with a millisecond timestamp the rendezvous uses to refuse replays of older
/// registrations. The signature (Ed25519 over every byte before it, type byte included) is checked by the
/// rendezvous with `signingKey`; see `ControlPacket` for the layout.
public struct RendezvousRegistration: Equatable, Sendable {
    public var staticKey: [UInt8]
    public var signingKey: [UInt8]
    public var timestamp: UInt64
    public var candidates: [Candidate]
    public var signature: [UInt8]

    public init(staticKey: [UInt8], signingKey: [UInt8], timestamp: UInt64, candidates: [Candidate], signature: [UInt8] = []) {
        self.staticKey = staticKey
        self.signingKey = signingKey
        self.timestamp = timestamp
        self.candidates = candidates
        self.signature = signature
    }

    /// The bytes the signature covers.
    public var signedBytes: [UInt8] {
        var writer = WireWriter()
        writer.u8(ControlPacketType.rendezvousRegister.rawValue)
        writer.append(staticKey)
        writer.append(signingKey)
        writer.u64(timestamp)
        writer.candidates(candidates)
        return writer.bytes
    }

    public func serialized() -> [UInt8] { signedBytes + signature }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes, offset: 1)
        staticKey = try reader.bytes(ControlPacket.keyLength, "static key")
        signingKey = try reader.bytes(ControlPacket.keyLength, "signing key")
        timestamp = try reader.u64("timestamp")
        candidates = try reader.candidates("candidates")
        signature = try reader.bytes(ControlPacket.signatureLength, "signature")
        try reader.expectEnd("registration")
    }
}
