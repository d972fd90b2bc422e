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
    /// HMACs keyed with the current and the previous epoch's secret, nothing fed yet: each cookie starts
    /// from a copy, so the key's padding and first blocks are not recomputed per packet (a flood's cost).
    private var current: HMAC<SHA256>
    private var previous: HMAC<SHA256>

    public init(epochSeconds: Double, now: ClockInstant, makeSecret: @escaping () -> SymmetricKey = { SymmetricKey(size: .bits256) }) {
        epochNanoseconds = max(1, Int64(epochSeconds * 1e9))
        self.makeSecret = makeSecret
        epoch = now.nanoseconds / epochNanoseconds
        current = HMAC(key: makeSecret())
        previous = HMAC(key: makeSecret())
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
        previous = epochNow == epoch + 1 ? current : HMAC(key: makeSecret())
        current = HMAC(key: makeSecret())
        epoch = epochNow
    }

    /// HMAC(secret, source IP bytes | port u16), the first 16 bytes; the input is built on the stack.
    private static func mac(_ keyed: HMAC<SHA256>, _ source: SocketAddress) -> [UInt8] {
        var input: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 16 address bytes and 2 port bytes fit
        let length = withUnsafeMutableBytes(of: &input) { buffer -> Int in
            var count = 0
            switch source {
            case .v4(let v4):
                var raw = v4.address.sin_addr
                count = withUnsafeBytes(of: &raw) { buffer.copyMemory(from: $0); return $0.count }
            case .v6(let v6):
                var raw = v6.address.sin6_addr
                count = withUnsafeBytes(of: &raw) { buffer.copyMemory(from: $0); return $0.count }
            default:
                break
            }
            let port = UInt16(clamping: source.port ?? 0)
            buffer[count] = UInt8(port >> 8)
            buffer[count + 1] = UInt8(port & 0xFF)
            return count + 2
        }
        var mac = keyed
        withUnsafeBytes(of: &input) { mac.update(data: UnsafeRawBufferPointer(rebasing: $0[..<length])) }
        return mac.finalize().withUnsafeBytes { Array($0.prefix(cookieLength)) }
    }
}

/// Compares two byte arrays in time that depends only on their lengths (MACs, cookies).
public func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
