import NIOCore

/// Which source addresses may become a session's side address: never loopback (unless allowed), never one
/// of the relay's own addresses, and, when asked, never a private or link-local range. Also refuses
/// unspecified and multicast addresses, which no honest client sends from.
public struct RelayAddressPolicy: Sendable {
    public var allowLoopback: Bool
    public var denyPrivate: Bool
    public var ownAddresses: Set<RelayIPKey>

    public init(allowLoopback: Bool, denyPrivate: Bool, ownAddresses: Set<RelayIPKey>) {
        self.allowLoopback = allowLoopback
        self.denyPrivate = denyPrivate
        self.ownAddresses = ownAddresses
    }

    /// True when `address` may not be a side address.
    public func denies(_ address: SocketAddress) -> Bool {
        guard let key = RelayIPKey(address) else { return true }
        return denies(key)
    }

    public func denies(_ key: RelayIPKey) -> Bool {
        if ownAddresses.contains(key) { return true }
        if let v4 = key.ipv4 {
            let first = v4 >> 24
            if first == 127 { return !allowLoopback }
            if first == 0 || first >= 224 { return true }  // unspecified/"this network", multicast, reserved
            if denyPrivate {
                if first == 10 { return true }
                if v4 & 0xFFF0_0000 == 0xAC10_0000 { return true }  // 172.16/12
                if v4 & 0xFFFF_0000 == 0xC0A8_0000 { return true }  // 192.168/16
                if v4 & 0xFFC0_0000 == 0x6440_0000 { return true }  // 100.64/10 (CGNAT)
                if v4 & 0xFFFF_0000 == 0xA9FE_0000 { return true }  // 169.254/16
            }
            return false
        }
        if key.high == 0, key.low == 1 { return !allowLoopback }  // ::1
        if key.high == 0, key.low == 0 { return true }  // ::
        let top = key.high >> 56
        if top == 0xFF { return true }  // multicast
        if denyPrivate {
            if top & 0xFE == 0xFC { return true }  // fc00::/7
            if key.high >> 54 == 0x3FA { return true }  // fe80::/10
        }
        return false
    }
}
