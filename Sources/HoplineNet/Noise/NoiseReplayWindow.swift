/// Replay protection for explicit-nonce datagrams (RFC 6479's idea, one 64-bit bitmap): accepts each
/// nonce at most once, and only within `windowSize` below the highest nonce accepted so far, so reordered
/// packets pass and replayed or very old ones do not.
///
/// Use: decrypt first (so a forged nonce cannot move the window), then `accept(nonce)`; drop the packet if
/// it returns false. A value type; not for concurrent use.
public struct NoiseReplayWindow: Sendable {
    /// How far below the highest accepted nonce a late packet may still be accepted.
    public static let windowSize: UInt64 = 64

    /// The highest nonce accepted, or nil before the first.
    public private(set) var highest: UInt64?
    /// Bit `i` set: nonce `highest - i` was accepted.
    private var seen: UInt64 = 0

    public init() {}

    /// Whether `nonce` would be accepted now (not seen, not too old), without recording it.
    public func wouldAccept(_ nonce: UInt64) -> Bool {
        guard let highest else { return true }
        if nonce > highest { return true }
        let age = highest - nonce
        return age < Self.windowSize && seen & (1 << age) == 0
    }

    /// Records `nonce` and returns true, or returns false for a replay or a nonce too old to tell.
    public mutating func accept(_ nonce: UInt64) -> Bool {
        guard wouldAccept(nonce) else { return false }
        guard let current = highest, nonce <= current else {
            let shift = highest.map { nonce - $0 } ?? Self.windowSize
            seen = shift >= Self.windowSize ? 1 : (seen << shift) | 1
            highest = nonce
            return true
        }
        seen |= 1 << (current - nonce)
        return true
    }
}
