import HoplineCodec
import HoplineCore

/// How a sender reacts to receiver reports: plans Opus FEC for the loss the receiver measures, and backs
/// off the bitrate when loss is heavy (congestion relief). Also turns the report's LSR/DLSR echo into a
/// round-trip time.
///
/// Policy (documented in README): loss is smoothed (70 % old, 30 % new report); `OPUS_SET_PACKET_LOSS_PERC`
/// follows the smoothed loss rounded up (0...50 %), in-band FEC stays on while the base settings ask for it;
/// above 15 % smoothed loss the bitrate drops to 75 % of the base, and returns when loss falls below 5 %.
public struct SenderAdaptation: Sendable {
    public let base: OpusSettings
    public private(set) var current: OpusSettings
    /// Smoothed fraction of packets lost (0...1).
    public private(set) var smoothedLoss = 0.0
    /// The latest round-trip time from a report that echoed one of our sender reports, milliseconds.
    public private(set) var roundTripMilliseconds: Double?
    public private(set) var reportsReceived = 0

    public init(base: OpusSettings) {
        self.base = base
        current = base
    }

    /// Takes one report block about our stream, received at `now` (NTP format on our clock); returns new
    /// encoder settings when they should change.
    public mutating func receive(_ block: RTCPPacket.ReportBlock, nowNTP: UInt64) -> OpusSettings? {
        reportsReceived += 1
        let fraction = Double(block.fractionLost) / 256
        smoothedLoss = reportsReceived == 1 ? fraction : 0.7 * smoothedLoss + 0.3 * fraction
        if block.lastSenderReport != 0 {
            let nowMiddle = UInt32(truncatingIfNeeded: nowNTP >> 16)
            let units = nowMiddle &- block.lastSenderReport &- block.delaySinceLastSenderReport
            if units < 0x8000_0000 { roundTripMilliseconds = Double(units) / 65.536 }
        }
        var next = current
        next.expectedLossPercent = min(50, Int((smoothedLoss * 100).rounded(.up)))
        if smoothedLoss > 0.15 {
            next.bitrate = max(6_000, base.bitrate * 3 / 4)
        } else if smoothedLoss < 0.05 {
            next.bitrate = base.bitrate
        }
        guard next != current else { return nil }
        current = next
        return next
    }

    /// A clock instant as a 64-bit NTP-format timestamp (seconds . fraction) on that clock's own origin.
    public static func ntpTimestamp(_ instant: ClockInstant) -> UInt64 {
        let seconds = UInt64(max(0, instant.nanoseconds) / 1_000_000_000)
        let nanos = UInt64(max(0, instant.nanoseconds) % 1_000_000_000)
        return seconds << 32 | (nanos << 32) / 1_000_000_000
    }
}
