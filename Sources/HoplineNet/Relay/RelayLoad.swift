/// How busy a relay is, as carried in COOKIE and JOINED (9 bytes: sessions u32, capacity u32, flags u8 with
/// bit 0 = draining; other flag bits are ignored on read and written as zero).
public struct RelayLoad: Equatable, Sendable {
    public var sessions: UInt32
    public var capacity: UInt32
    public var draining: Bool

    /// Bytes on the wire.
    public static let length = 9

    public init(sessions: UInt32, capacity: UInt32, draining: Bool) {
        self.sessions = sessions
        self.capacity = capacity
        self.draining = draining
    }

    init(reading reader: inout WireReader) throws(WireError) {
        sessions = try reader.u32("load sessions")
        capacity = try reader.u32("load capacity")
        draining = try reader.u8("load flags") & 1 == 1
    }

    func write(to writer: inout WireWriter) {
        writer.u32(sessions)
        writer.u32(capacity)
        writer.u8(draining ? 1 : 0)
    }
}
