#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// An IP address (no port) as two integers, IPv4 held IPv4-mapped (::ffff:a.b.c.d), so that per-source
/// counting and the deny list need no allocation and no string.
public struct RelayIPKey: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The IP of an IPv4 or IPv6 socket address; nil for anything else (unix sockets).
    public init?(_ address: SocketAddress) {
        guard let bytes = Self.ipBytes(of: address) else { return nil }
        self.init(bytes16: bytes.count == 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + bytes : bytes)
    }

    init(bytes16: [UInt8]) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes16[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes16[index]) }
        self.init(high: high, low: low)
    }

    /// For an IPv4(-mapped) address, its 32 bits.
    public var ipv4: UInt32? {
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return UInt32(truncatingIfNeeded: low)
    }

    public var description: String {
        if let ipv4 { return "\(ipv4 >> 24).\(ipv4 >> 16 & 0xFF).\(ipv4 >> 8 & 0xFF).\(ipv4 & 0xFF)" }
        return String(high, radix: 16) + ":" + String(low, radix: 16)
    }

    /// The 4 (IPv4) or 16 (IPv6) address bytes in network order.
    static func ipBytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        default:
            return nil
        }
    }
}
