import HoplineCodec
import HoplineCore

/// How a sender reacts to receiver reports: plans Opus FEC for the loss the receiver measures, and backs
/// off the bitrate when loss is heavy (congestion relief). Also turns the report's LSR/DLSR echo into a
/// round-trip time.
///
/// Policy (documented in README): the first report replaces the configured guess, later ones are averaged
/// in (the running mean, then 15 % per report once that is smaller: a memory of about 7 reports);
/// `OPUS_SET_PACKET_LOSS_PERC` follows the smoothed loss put into libwebrtc's buckets 0, 1, 5, 10 and 20 %
/// (`plannedLossPercent`); in-band FEC stays on while the base settings ask for it; above 15 % smoothed loss
/// (from the third report on) the bitrate drops to 75 % of the base, and returns when loss falls below 5 %.
///
/// Redundancy (RED, only with `redundancyAvailable`: the peer offered it): the receiver report gives only the
/// fraction lost, so bursts are not seen here; RED carrying the previous two frames switches on when the
/// smoothed loss reaches `redundancyOnLoss` (2 %) and off when it falls below `redundancyOffLoss` (0.5 %).
/// Two frames back rebuild any burst of up to two packets, plus one more frame from Opus FEC; the receiver's
/// jitter buffer waits for the second copy only while it actually sees bursts (`AdaptiveJitterBuffer`).
/// While RED is on, the planned FEC loss is capped at `plannedLossWithRedundancy` (1 %): full copies stand in
/// for LBRR, and the bits go back to the primary (measured in README, "RED: what it gains under
/// bursts": +0.23 PESQ-WB on 31 s of speech over keeping the 10 % bucket).
public struct SenderAdaptation: Sendable {
    public let base: OpusSettings
    public private(set) var current: OpusSettings
    /// Smoothed fraction of packets lost (0...1).
    public private(set) var smoothedLoss = 0.0
    /// The latest round-trip time from a report that echoed one of our sender reports, milliseconds.
    public private(set) var roundTripMilliseconds: Double?
    public private(set) var reportsReceived = 0
    /// How many previous frames each packet carries again (RED): 0 (off) or `redundancyDistanceWhenOn`.
    public private(set) var redundancyDistance = 0
    /// Whether the peer takes RED (otherwise `redundancyDistance` stays 0).
    public let redundancyAvailable: Bool

    /// Smoothed loss at which RED switches on, and below which it switches off again.
    public static let redundancyOnLoss = 0.02
    public static let redundancyOffLoss = 0.005
    public static let redundancyDistanceWhenOn = 2
    /// The most loss FEC is planned for while RED is on, percent.
    public static let plannedLossWithRedundancy = 1

    /// The weight of each new report in the smoothed loss. Burst loss measured over one report interval swings
    /// from 0 to 20 % and more; a long memory keeps the planned loss near the mean instead of following it.
    public static let smoothingWeight = 0.15

    /// Reports needed before heavy loss may lower the bitrate.
    public static let reportsBeforeBackOff = 3

    public init(base: OpusSettings, redundancyAvailable: Bool = false) {
        self.base = base
        self.redundancyAvailable = redundancyAvailable
        current = base
    }

    /// Takes one report block about our stream, received at `now` (NTP format on our clock); returns new
    /// encoder settings when they should change.
    public mutating func receive(_ block: RTCPPacket.ReportBlock, nowNTP: UInt64) -> OpusSettings? {
        reportsReceived += 1
        let fraction = Double(block.fractionLost) / 256
        // The first report replaces the configured guess, so a clean path stops paying for FEC at once; the
        // next ones are averaged until the long-memory weight takes over.
        let weight = max(Self.smoothingWeight, 1 / Double(reportsReceived))
        smoothedLoss += weight * (fraction - smoothedLoss)
        if block.lastSenderReport != 0 {
            let nowMiddle = UInt32(truncatingIfNeeded: nowNTP >> 16)
            let units = nowMiddle &- block.lastSenderReport &- block.delaySinceLastSenderReport
            if units < 0x8000_0000 { roundTripMilliseconds = Double(units) / 65.536 }
        }
        if !redundancyAvailable {
            redundancyDistance = 0
        } else if smoothedLoss >= Self.redundancyOnLoss {
            redundancyDistance = Self.redundancyDistanceWhenOn
        } else if smoothedLoss < Self.redundancyOffLoss {
            redundancyDistance = 0
        }
        var next = current
        next.expectedLossPercent = Self.plannedLossPercent(smoothedLoss: smoothedLoss, previous: current.expectedLossPercent)
        if redundancyDistance > 0 { next.expectedLossPercent = min(next.expectedLossPercent, Self.plannedLossWithRedundancy) }
        // Not on the first reports alone: the first covers 250 ms (a dozen packets), where two losses are 20 %.
        if smoothedLoss > 0.15 && reportsReceived >= Self.reportsBeforeBackOff {
            next.bitrate = max(6_000, base.bitrate * 3 / 4)
        } else if smoothedLoss < 0.05 {
            next.bitrate = base.bitrate
        }
        guard next != current else { return nil }
        current = next
        return next
    }

    /// The loss to plan FEC for, from the smoothed measured loss: the bucket below it of 0, 1, 5, 10 and 20 %
    /// (after libwebrtc's `OptimizePacketLossRate`), left only 1 % below the 5 and 10 % buckets and 2 % below
    /// the 20 % bucket, so it does not flap. Rounding down pays: planning for more loss than this takes bits
    /// from every frame for a copy that one frame of FEC cannot use in a burst anyway (measured in README: at
    /// 9-12 % burst loss, 5 % planned beat 10 % and 20 % in PESQ-WB). Entering a bucket at its own value (not
    /// above it, as libwebrtc does) keeps 5 % random loss at 5 % planned.
    public static func plannedLossPercent(smoothedLoss: Double, previous: Int) -> Int {
        let percent = smoothedLoss * 100
        let buckets: [(percent: Int, margin: Double)] = [(20, 2), (10, 1), (5, 1)]
        for bucket in buckets {
            let threshold = Double(bucket.percent) - (previous >= bucket.percent ? bucket.margin : 0)
            if percent >= threshold { return bucket.percent }
        }
        return percent >= 1 ? 1 : 0
    }

    /// A clock instant as a 64-bit NTP-format timestamp (seconds . fraction) on that clock's own origin.
    public static func ntpTimestamp(_ instant: ClockInstant) -> UInt64 {
        let seconds = UInt64(max(0, instant.nanoseconds) / 1_000_000_000)
        let nanos = UInt64(max(0, instant.nanoseconds) % 1_000_000_000)
        return seconds << 32 | (nanos << 32) / 1_000_000_000
    }
}
