/// When a call rotates the keys of what it sends (`[call] rekey_after_s`, `rekey_after_packets`), and how
/// long the previous epoch's receive keys are kept for late packets. WireGuard rekeys after 120 s or 2^60
/// messages; a voice call sends about 100 packets a second, so 2^20 packets is about three hours and time
/// is what usually triggers. Immutable and Sendable.
public struct RekeyPolicy: Sendable, Equatable {
    /// Seconds in one epoch before this side starts a rekey.
    public var afterSeconds: Double
    /// Packets (SRTP and sealed signaling) sent in one epoch before this side starts a rekey.
    public var afterPackets: UInt64
    /// Seconds the previous epoch's receive keys stay after the peer's first packet in the new one.
    public var graceSeconds: Double

    public init(afterSeconds: Double = 120, afterPackets: UInt64 = 1 << 20, graceSeconds: Double = 10) {
        self.afterSeconds = afterSeconds
        self.afterPackets = afterPackets
        self.graceSeconds = graceSeconds
    }

    /// What `[call] rekey_after_s` accepts: from one second (for tests) to one hour.
    public static let secondsRange = 1.0...3_600
    /// What `[call] rekey_after_packets` accepts.
    public static let packetsRange: ClosedRange<UInt64> = 64...(1 << 32)
}
