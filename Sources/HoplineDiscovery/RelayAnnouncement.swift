import HoplineNet

/// What a volunteer relay publishes under `DHTKey.relayDirectory`: where it listens, how many sessions it
/// takes, how many it holds now, and whether it is draining. Callers draw candidate relays from these (and
/// still probe each one before choosing, `RelayChoice`).
///
/// Body layout: address (`WireWriter.address`), capacity (u32), sessions (u32), draining (u8, 0 or 1).
public struct RelayAnnouncement: Equatable, Sendable {
    /// Announcements are believed for 2 minutes and refreshed every 40 s (the load changes).
    public static let lifetimeMilliseconds: UInt64 = 120_000

    public var address: PeerAddress
    public var capacity: UInt32
    public var sessions: UInt32
    public var draining: Bool

    public init(address: PeerAddress, capacity: UInt32, sessions: UInt32, draining: Bool = false) {
        self.address = address
        self.capacity = capacity
        self.sessions = sessions
        self.draining = draining
    }

    public func body() -> [UInt8] {
        var writer = WireWriter()
        writer.address(address)
        writer.u32(capacity)
        writer.u32(sessions)
        writer.u8(draining ? 1 : 0)
        return writer.bytes
    }

    public init(body: [UInt8]) throws(WireError) {
        var reader = WireReader(body)
        address = try reader.address("relay address")
        capacity = try reader.u32("relay capacity")
        sessions = try reader.u32("relay sessions")
        let flag = try reader.u8("relay draining")
        guard flag <= 1 else { throw .invalidValue(field: "relay draining", value: Int(flag), expected: "0 or 1") }
        draining = flag == 1
        try reader.expectEnd("relay announcement")
    }
}
