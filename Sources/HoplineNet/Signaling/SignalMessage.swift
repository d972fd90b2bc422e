/// One call-signaling message, sent encrypted inside a `sealed` control packet once the Noise handshake is
/// done. Reliable kinds (`ringing`, `accept`, `reject`, `busy`, `bye`) carry a sequence number the peer
/// acknowledges (`ack`) and are retransmitted with backoff until then; keepalives are not.
///
/// `rekey` (reliable) announces the next key epoch of what the sender sends (`NoiseRekeyChain`); the sender
/// switches to it when the peer acknowledges.
///
/// Layout: kind u8, sequence u32, then for `ack` the acknowledged sequence u32, for keepalive and its echo
/// the sender's clock in ns (u64), for `reject`/`bye` a reason u8, for `rekey` the new epoch u32.
public enum SignalMessage: Equatable, Sendable {
    case ringing(sequence: UInt32)
    case accept(sequence: UInt32, answer: CallAnswer)
    case reject(sequence: UInt32)
    case busy(sequence: UInt32)
    case bye(sequence: UInt32, reason: ByeReason)
    case ack(acknowledged: UInt32)
    case keepalive(sentAt: UInt64)
    case keepaliveEcho(sentAt: UInt64)
    case rekey(sequence: UInt32, epoch: UInt32)

    /// The sequence number to acknowledge, for reliable messages.
    public var reliableSequence: UInt32? {
        switch self {
        case .ringing(let sequence), .accept(let sequence, _), .reject(let sequence), .busy(let sequence),
            .bye(let sequence, _), .rekey(let sequence, _):
            return sequence
        case .ack, .keepalive, .keepaliveEcho: return nil
        }
    }

    public func serialized() -> [UInt8] {
        var writer = WireWriter()
        switch self {
        case .ringing(let sequence): writer.u8(1); writer.u32(sequence)
        case .accept(let sequence, let answer): writer.u8(2); writer.u32(sequence); answer.write(to: &writer)
        case .reject(let sequence): writer.u8(3); writer.u32(sequence)
        case .busy(let sequence): writer.u8(4); writer.u32(sequence)
        case .bye(let sequence, let reason): writer.u8(5); writer.u32(sequence); writer.u8(reason.rawValue)
        case .ack(let acknowledged): writer.u8(6); writer.u32(0); writer.u32(acknowledged)
        case .keepalive(let sentAt): writer.u8(7); writer.u32(0); writer.u64(sentAt)
        case .keepaliveEcho(let sentAt): writer.u8(8); writer.u32(0); writer.u64(sentAt)
        case .rekey(let sequence, let epoch): writer.u8(9); writer.u32(sequence); writer.u32(epoch)
        }
        return writer.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let kind = try reader.u8("signal kind")
        let sequence = try reader.u32("sequence")
        switch kind {
        case 1: self = .ringing(sequence: sequence)
        case 2: self = .accept(sequence: sequence, answer: try CallAnswer(reading: &reader))
        case 3: self = .reject(sequence: sequence)
        case 4: self = .busy(sequence: sequence)
        case 5:
            let raw = try reader.u8("bye reason")
            self = .bye(sequence: sequence, reason: ByeReason(rawValue: raw) ?? .hangUp)
        case 6: self = .ack(acknowledged: try reader.u32("acknowledged"))
        case 7: self = .keepalive(sentAt: try reader.u64("sent at"))
        case 8: self = .keepaliveEcho(sentAt: try reader.u64("sent at"))
        case 9: self = .rekey(sequence: sequence, epoch: try reader.u32("epoch"))
        default: throw .invalidValue(field: "signal kind", value: Int(kind), expected: "1...9")
        }
        try reader.expectEnd("signal message")
    }
}

/// Why a call ended, as told to the peer in `bye`.
public enum ByeReason: UInt8, Sendable, CustomStringConvertible {
    case hangUp = 1
    case durationReached = 2
    case interrupted = 3

    public var description: String {
        switch self {
        case .hangUp: return "hung up"
        case .durationReached: return "call duration reached"
        case .interrupted: return "interrupted (Ctrl-C)"
        }
    }
}

/// The caller's offer, carried in Noise message 1's (encrypted) payload: protocol version, the codec
/// parameters the caller sends with and would like to receive, and the relay sessions it opened for the call
/// (relayed candidates with their tokens: the callee joins them as standby paths; encrypted, so only the
/// callee learns the tokens), and a timestamp (ms since 1970) that only ever grows per caller, so the callee
/// refuses a replayed message 1 (WireGuard's TAI64N). Layout: version u8, bitrate u32, frame ms u8, flags u8
/// (1 FEC, 2 DTX, 4 RED: "I take RFC 2198 RED, payload type 63"; older peers ignore bits they do not know),
/// timestamp u64, then optionally `cands`.
public struct CallOffer: Equatable, Sendable {
    public static let version: UInt8 = 2
    public var bitrate: UInt32
    public var frameMilliseconds: UInt8
    public var forwardErrorCorrection: Bool
    public var discontinuousTransmission: Bool
    /// The sender of this offer (or answer) accepts RED (RFC 2198) for its incoming audio; a peer that does
    /// not say so gets plain RTP/Opus only.
    public var redundantAudio: Bool
    /// Relayed candidates only (others are ignored by the callee).
    public var relayCandidates: [Candidate]
    /// When the offer was made, ms since 1970 (0 in answers, where it means nothing).
    public var timestamp: UInt64

    public init(
        bitrate: UInt32, frameMilliseconds: UInt8, forwardErrorCorrection: Bool, discontinuousTransmission: Bool,
        relayCandidates: [Candidate] = [], timestamp: UInt64 = 0, redundantAudio: Bool = false
    ) {
        self.redundantAudio = redundantAudio
        self.timestamp = timestamp
        self.bitrate = bitrate
        self.frameMilliseconds = frameMilliseconds
        self.forwardErrorCorrection = forwardErrorCorrection
        self.discontinuousTransmission = discontinuousTransmission
        self.relayCandidates = relayCandidates
    }

    public func serialized() -> [UInt8] {
        var writer = WireWriter()
        writer.u8(Self.version)
        writer.u32(bitrate)
        writer.u8(frameMilliseconds)
        writer.u8((forwardErrorCorrection ? 1 : 0) | (discontinuousTransmission ? 2 : 0) | (redundantAudio ? 4 : 0))
        writer.u64(timestamp)
        if !relayCandidates.isEmpty { writer.candidates(relayCandidates) }
        return writer.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let version = try reader.u8("offer version")
        guard version == Self.version else {
            throw .invalidValue(field: "offer version", value: Int(version), expected: "\(Self.version)")
        }
        bitrate = try reader.u32("bitrate")
        frameMilliseconds = try reader.u8("frame ms")
        let flags = try reader.u8("flags")
        forwardErrorCorrection = flags & 1 != 0
        discontinuousTransmission = flags & 2 != 0
        redundantAudio = flags & 4 != 0
        timestamp = try reader.u64("timestamp")
        relayCandidates = reader.remaining > 0 ? try reader.candidates("relay candidates").filter { $0.kind == .relayed } : []
        try reader.expectEnd("offer")
    }
}

/// The callee's first answer, in Noise message 2's payload: ringing (ask the user), accepted at once,
/// rejected, or busy; with the callee's own codec parameters when accepted.
public enum CallAnswer: Equatable, Sendable {
    case ringing
    case accepted(CallOffer)
    case rejected
    case busy
    case notAllowed

    public func serialized() -> [UInt8] {
        var writer = WireWriter()
        write(to: &writer)
        return writer.bytes
    }

    func write(to writer: inout WireWriter) {
        switch self {
        case .ringing: writer.u8(1)
        case .accepted(let offer): writer.u8(2); writer.append(offer.serialized())
        case .rejected: writer.u8(3)
        case .busy: writer.u8(4)
        case .notAllowed: writer.u8(5)
        }
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        self = try CallAnswer(reading: &reader)
        try reader.expectEnd("answer")
    }

    init(reading reader: inout WireReader) throws(WireError) {
        let kind = try reader.u8("answer kind")
        switch kind {
        case 1: self = .ringing
        case 2: self = .accepted(try CallOffer(parsing: reader.rest()))
        case 3: self = .rejected
        case 4: self = .busy
        case 5: self = .notAllowed
        default: throw .invalidValue(field: "answer kind", value: Int(kind), expected: "1...5")
        }
    }
}
