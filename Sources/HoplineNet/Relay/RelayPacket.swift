/// Every relay packet (first byte 0x40-0x4F), parsed from or serialized to a datagram. The contract is
/// `notes/relay-protocol.md` (v1); integers are big-endian, `txid` is 12 random bytes chosen by the client,
/// `load` is `RelayLoad` (9 bytes), `token` is `RelayToken` (88 bytes).
///
/// | byte | name | direction | body after the type byte | size |
/// | --- | --- | --- | --- | --- |
/// | 0x40 | DATA | both | channel u24, opaque payload | 4 + payload |
/// | 0x41 | COOKIE_REQUEST | client->relay | txid, zero padding | >= 64 |
/// | 0x42 | COOKIE | relay->client | txid, cookie (16), load | 38 |
/// | 0x43 | ALLOCATE | client->relay | txid, cookie (16), caller key (32), callee key (32), zero padding | >= 128 |
/// | 0x44 | JOIN | client->relay | txid, cookie (16), side u8 (1 caller, 2 callee), token, zero padding | >= 128 |
/// | 0x45 | JOINED | relay->client | txid, side u8, token, lifetime seconds u16, load | 113 |
/// | 0x46 | REFUSED | relay->client | txid, reason u8 (`RelayRefusal`) | 14 |
/// | 0x47 | DRAIN | relay->client | channel u24 | 4 |
/// | 0x48 | LEAVE | client->relay | channel u24 | 4 |
///
/// Requests are padded by `serialized()` to their minimum size so that no reply is larger than the request
/// it answers; the parser refuses shorter requests and ignores the padding's contents. Replies have exact
/// sizes: trailing bytes are refused.
public enum RelayPacket: Equatable, Sendable {
    case data(channel: UInt32, payload: [UInt8])
    case cookieRequest(transaction: [UInt8])
    case cookie(transaction: [UInt8], cookie: [UInt8], load: RelayLoad)
    case allocate(transaction: [UInt8], cookie: [UInt8], caller: [UInt8], callee: [UInt8])
    case join(transaction: [UInt8], cookie: [UInt8], side: RelaySide, token: RelayToken)
    case joined(transaction: [UInt8], side: RelaySide, token: RelayToken, lifetimeSeconds: UInt16, load: RelayLoad)
    case refused(transaction: [UInt8], reason: RelayRefusal)
    case drain(channel: UInt32)
    case leave(channel: UInt32)

    public static let transactionLength = 12
    public static let cookieLength = 16
    public static let keyLength = 32
    /// DATA, DRAIN and LEAVE carry the channel in 24 bits.
    public static let maximumChannel: UInt32 = 0xFF_FFFF
    /// The DATA header: type byte + channel u24.
    public static let dataHeaderLength = 4
    public static let cookieRequestMinimumLength = 64
    public static let allocateMinimumLength = 128
    public static let joinMinimumLength = 128
    public static let cookieReplyLength = 1 + transactionLength + cookieLength + RelayLoad.length
    public static let joinedLength = 1 + transactionLength + 1 + RelayToken.length + 2 + RelayLoad.length
    public static let refusedLength = 1 + transactionLength + 1

    public var type: RelayPacketType {
        switch self {
        case .data: return .data
        case .cookieRequest: return .cookieRequest
        case .cookie: return .cookie
        case .allocate: return .allocate
        case .join: return .join
        case .joined: return .joined
        case .refused: return .refused
        case .drain: return .drain
        case .leave: return .leave
        }
    }

    /// True for the relay's range of first bytes, 0x40-0x4F (including the unassigned 0x49-0x4F).
    public static func isRelayPacket(_ firstByte: UInt8) -> Bool { (0x40...0x4F).contains(firstByte) }

    /// The 4-byte DATA header for `channel` (only its low 24 bits are sent); append the payload after it.
    public static func dataHeader(channel: UInt32) -> [UInt8] {
        [RelayPacketType.data.rawValue, UInt8(truncatingIfNeeded: channel >> 16),
         UInt8(truncatingIfNeeded: channel >> 8), UInt8(truncatingIfNeeded: channel)]
    }

    /// The channel of a DATA datagram, read in place (works on `[UInt8]`, `ArraySlice` and NIO's
    /// `ByteBufferView` without copying); nil unless the bytes start with a complete DATA header.
    public static func dataChannel<Bytes: Collection>(of bytes: Bytes) -> UInt32? where Bytes.Element == UInt8 {
        var index = bytes.startIndex
        guard index != bytes.endIndex, bytes[index] == RelayPacketType.data.rawValue else { return nil }
        var channel: UInt32 = 0
        for _ in 0..<3 {
            index = bytes.index(after: index)
            guard index != bytes.endIndex else { return nil }
            channel = channel << 8 | UInt32(bytes[index])
        }
        return channel
    }

    public func serialized() -> [UInt8] {
        var writer = WireWriter(capacity: 128)
        writer.u8(type.rawValue)
        switch self {
        case .data(let channel, let payload):
            writer.append(Self.dataHeader(channel: channel).dropFirst())
            writer.append(payload)
        case .cookieRequest(let transaction):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            Self.pad(&writer, to: Self.cookieRequestMinimumLength)
        case .cookie(let transaction, let cookie, let load):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            writer.append(RelayToken.fixed(cookie, Self.cookieLength))
            load.write(to: &writer)
        case .allocate(let transaction, let cookie, let caller, let callee):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            writer.append(RelayToken.fixed(cookie, Self.cookieLength))
            writer.append(RelayToken.fixed(caller, Self.keyLength))
            writer.append(RelayToken.fixed(callee, Self.keyLength))
            Self.pad(&writer, to: Self.allocateMinimumLength)
        case .join(let transaction, let cookie, let side, let token):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            writer.append(RelayToken.fixed(cookie, Self.cookieLength))
            writer.u8(side.rawValue)
            token.write(to: &writer)
            Self.pad(&writer, to: Self.joinMinimumLength)
        case .joined(let transaction, let side, let token, let lifetimeSeconds, let load):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            writer.u8(side.rawValue)
            token.write(to: &writer)
            writer.u16(lifetimeSeconds)
            load.write(to: &writer)
        case .refused(let transaction, let reason):
            writer.append(RelayToken.fixed(transaction, Self.transactionLength))
            writer.u8(reason.rawValue)
        case .drain(let channel), .leave(let channel):
            writer.append(Self.dataHeader(channel: channel).dropFirst())
        }
        return writer.bytes
    }

    /// Parses one datagram. Throws for an unknown type byte, a request shorter than its minimum size, a
    /// truncated field, an out-of-range side or reason, and trailing bytes after a reply.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let typeByte = try reader.u8("relay packet type")
        guard let type = RelayPacketType(rawValue: typeByte) else {
            throw .invalidValue(field: "relay packet type", value: Int(typeByte), expected: "0x40-0x48")
        }
        switch type {
        case .data:
            let channel = try Self.channel(&reader)
            self = .data(channel: channel, payload: reader.rest())
        case .cookieRequest:
            try Self.requireMinimum(bytes.count, Self.cookieRequestMinimumLength, "COOKIE_REQUEST")
            self = .cookieRequest(transaction: try reader.bytes(Self.transactionLength, "transaction"))
        case .cookie:
            let transaction = try reader.bytes(Self.transactionLength, "transaction")
            let cookie = try reader.bytes(Self.cookieLength, "cookie")
            let load = try RelayLoad(reading: &reader)
            try reader.expectEnd("COOKIE")
            self = .cookie(transaction: transaction, cookie: cookie, load: load)
        case .allocate:
            try Self.requireMinimum(bytes.count, Self.allocateMinimumLength, "ALLOCATE")
            let transaction = try reader.bytes(Self.transactionLength, "transaction")
            let cookie = try reader.bytes(Self.cookieLength, "cookie")
            let caller = try reader.bytes(Self.keyLength, "caller key")
            let callee = try reader.bytes(Self.keyLength, "callee key")
            self = .allocate(transaction: transaction, cookie: cookie, caller: caller, callee: callee)
        case .join:
            try Self.requireMinimum(bytes.count, Self.joinMinimumLength, "JOIN")
            let transaction = try reader.bytes(Self.transactionLength, "transaction")
            let cookie = try reader.bytes(Self.cookieLength, "cookie")
            let side = try Self.side(&reader)
            let token = try RelayToken(reading: &reader)
            self = .join(transaction: transaction, cookie: cookie, side: side, token: token)
        case .joined:
            let transaction = try reader.bytes(Self.transactionLength, "transaction")
            let side = try Self.side(&reader)
            let token = try RelayToken(reading: &reader)
            let lifetime = try reader.u16("lifetime")
            let load = try RelayLoad(reading: &reader)
            try reader.expectEnd("JOINED")
            self = .joined(transaction: transaction, side: side, token: token, lifetimeSeconds: lifetime, load: load)
        case .refused:
            let transaction = try reader.bytes(Self.transactionLength, "transaction")
            let raw = try reader.u8("refusal reason")
            guard let reason = RelayRefusal(rawValue: raw) else {
                throw .invalidValue(field: "refusal reason", value: Int(raw), expected: "1-8")
            }
            try reader.expectEnd("REFUSED")
            self = .refused(transaction: transaction, reason: reason)
        case .drain:
            let channel = try Self.channel(&reader)
            try reader.expectEnd("DRAIN")
            self = .drain(channel: channel)
        case .leave:
            let channel = try Self.channel(&reader)
            try reader.expectEnd("LEAVE")
            self = .leave(channel: channel)
        }
    }

    private static func channel(_ reader: inout WireReader) throws(WireError) -> UInt32 {
        let high = try reader.u8("channel")
        let low = try reader.u16("channel")
        return UInt32(high) << 16 | UInt32(low)
    }

    private static func side(_ reader: inout WireReader) throws(WireError) -> RelaySide {
        let raw = try reader.u8("side")
        guard let side = RelaySide(rawValue: raw) else {
            throw .invalidValue(field: "side", value: Int(raw), expected: "1 (caller) or 2 (callee)")
        }
        return side
    }

    private static func requireMinimum(_ count: Int, _ minimum: Int, _ what: StaticString) throws(WireError) {
        guard count >= minimum else {
            throw .invalidValue(field: "\(what) length", value: count, expected: "at least \(minimum) bytes (pad requests)")
        }
    }

    private static func pad(_ writer: inout WireWriter, to minimum: Int) {
        let missing = minimum - writer.bytes.count
        if missing > 0 { writer.append(repeatElement(UInt8(0), count: missing)) }
    }
}
