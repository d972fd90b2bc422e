/// The capability for one relay session (88 bytes): channel u32 (low 24 bits used) | expiry u32 (unix
/// seconds) | caller static key (32) | callee static key (32) | MAC (16). The MAC is
/// HMAC-SHA256(relay secret, the 72 bytes before it) truncated to 16; the relay mints and checks it
/// (`HoplineRelay`), clients only carry the token around.
public struct RelayToken: Equatable, Sendable {
    public var channel: UInt32
    public var expiry: UInt32
    public var callerKey: [UInt8]
    public var calleeKey: [UInt8]
    public var mac: [UInt8]

    /// Bytes on the wire.
    public static let length = 88
    /// Bytes the MAC covers (everything before it).
    public static let signedLength = 72
    public static let keyLength = 32
    public static let macLength = 16

    public init(channel: UInt32, expiry: UInt32, callerKey: [UInt8], calleeKey: [UInt8], mac: [UInt8]) {
        self.channel = channel
        self.expiry = expiry
        self.callerKey = callerKey
        self.calleeKey = calleeKey
        self.mac = mac
    }

    /// Parses exactly 88 bytes.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        try self.init(reading: &reader)
        try reader.expectEnd("relay token")
    }

    init(reading reader: inout WireReader) throws(WireError) {
        channel = try reader.u32("token channel")
        guard channel <= RelayPacket.maximumChannel else {
            throw .invalidValue(field: "token channel", value: Int(channel), expected: "at most 0xFFFFFF (24 bits)")
        }
        expiry = try reader.u32("token expiry")
        callerKey = try reader.bytes(Self.keyLength, "token caller key")
        calleeKey = try reader.bytes(Self.keyLength, "token callee key")
        mac = try reader.bytes(Self.macLength, "token mac")
    }

    /// The 72 bytes the MAC covers. Keys of the wrong length are cut or zero-filled to 32 bytes.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: Self.length)
        writeSigned(to: &writer)
        return writer.bytes
    }

    /// The 88 wire bytes.
    public var bytes: [UInt8] {
        var writer = WireWriter(capacity: Self.length)
        write(to: &writer)
        return writer.bytes
    }

    func write(to writer: inout WireWriter) {
        writeSigned(to: &writer)
        writer.append(Self.fixed(mac, Self.macLength))
    }

    private func writeSigned(to writer: inout WireWriter) {
        writer.u32(channel)
        writer.u32(expiry)
        writer.append(Self.fixed(callerKey, Self.keyLength))
        writer.append(Self.fixed(calleeKey, Self.keyLength))
    }

    static func fixed(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        if bytes.count == length { return bytes }
        return Array(bytes.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - bytes.count))
    }
}
