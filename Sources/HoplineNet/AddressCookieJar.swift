import Crypto
import HoplineCore
import NIOCore

/// Stateless address-validation cookies (WireGuard's cookie, QUIC's Retry): cookie = HMAC-SHA256(secret of the
/// current epoch, source IP bytes | source port u16) truncated to 16 bytes. A responder hands one to a source
/// before doing anything for it that costs more than the request, or sending anything larger than it; only
/// the source's own address receives it, so echoing it back proves the source asked. The secret rotates every
/// epoch and the previous epoch's secret is still accepted, so a cookie lives one to two epochs. Used by the
/// relay (ALLOCATE/JOIN) and the rendezvous (lookups). Not thread-safe: owned by one loop.
public struct AddressCookieJar {
    public static let cookieLength = 16

    private let epochNanoseconds: Int64
    private let makeSecret: () -> SymmetricKey
    private var epoch: Int64
    private var current: SymmetricKey
    private var previous: SymmetricKey

    public init(epochSeconds: Double, now: ClockInstant, makeSecret: @escaping () -> SymmetricKey = { SymmetricKey(size: .bits256) }) {
        epochNanoseconds = max(1, Int64(epochSeconds * 1e9))
        self.makeSecret = makeSecret
        epoch = now.nanoseconds / epochNanoseconds
        current = makeSecret()
        previous = makeSecret()
    }

    /// The cookie for `source` now (rotating the secrets first if an epoch has passed).
    public mutating func cookie(for source: SocketAddress, now: ClockInstant) -> [UInt8] {
        rotate(now: now)
        return Self.mac(current, source)
    }

    /// True when `cookie` is what this jar issued to `source` in this or the previous epoch.
    public mutating func check(_ cookie: [UInt8], from source: SocketAddress, now: ClockInstant) -> Bool {
        rotate(now: now)
        guard cookie.count == Self.cookieLength else { return false }
        return constantTimeEqual(cookie, Self.mac(current, source)) || constantTimeEqual(cookie, Self.mac(previous, source))
    }

    private mutating func rotate(now: ClockInstant) {
        let epochNow = now.nanoseconds / epochNanoseconds
        guard epochNow != epoch else { return }
        previous = epochNow == epoch + 1 ? current : makeSecret()
        current = makeSecret()
        epoch = epochNow
    }

    private static func mac(_ key: SymmetricKey, _ source: SocketAddress) -> [UInt8] {
        var input: [UInt8]
        switch source {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            input = withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            input = withUnsafeBytes(of: &raw) { Array($0) }
        default:
            input = []
        }
        let port = UInt16(clamping: source.port ?? 0)
        input.append(UInt8(port >> 8))
        input.append(UInt8(port & 0xFF))
        return Array(HMAC<SHA256>.authenticationCode(for: input, using: key)).prefix(cookieLength).map { $0 }
    }
}

/// Compares two byte arrays in time that depends only on their lengths (MACs, cookies).
public func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
