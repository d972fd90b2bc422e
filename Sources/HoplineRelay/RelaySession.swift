import HoplineCore
import HoplineNet
import NIOCore

/// One relayed call leg pair: a channel, the two proven side addresses, a fingerprint of the two static
/// keys its tokens name, its bandwidth bucket and counters. A class so the event loop mutates it in place
/// from the session table; owned by `RelayEngine` and not thread-safe. About 500 bytes when idle.
public final class RelaySession {
    public let channel: UInt32
    let keys: RelayKeyFingerprint
    public internal(set) var caller: SocketAddress?
    public internal(set) var callee: SocketAddress?
    var lastActivity: ClockInstant
    var bucket: RelayTokenBucket
    public internal(set) var packetsForwarded: UInt64 = 0
    public internal(set) var bytesForwarded: UInt64 = 0

    init(channel: UInt32, keys: RelayKeyFingerprint, now: ClockInstant, kbps: Int) {
        self.channel = channel
        self.keys = keys
        lastActivity = now
        bucket = RelayTokenBucket(kbps: kbps, now: now)
    }

    public func address(of side: RelaySide) -> SocketAddress? { side == .caller ? caller : callee }

    func setAddress(_ address: SocketAddress?, of side: RelaySide) {
        if side == .caller { caller = address } else { callee = address }
    }

    /// The distinct IPs of the sides that are present (0, 1 or 2), for the per-IP session count.
    var sideIPs: [RelayIPKey] {
        var ips: [RelayIPKey] = []
        for address in [caller, callee] {
            if let address, let key = RelayIPKey(address), !ips.contains(key) { ips.append(key) }
        }
        return ips
    }
}

/// The first 16 bytes of SHA-256(caller key | callee key): which static-key pair a session belongs to, so a
/// token minted for an earlier session on a reused channel cannot join a later one.
struct RelayKeyFingerprint: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
}
