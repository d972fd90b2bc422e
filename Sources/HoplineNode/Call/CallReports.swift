import HoplineCore

/// A call's RTCP bookkeeping: when the next reports are due and what came and went. The first reports go
/// 250 ms after media starts, so the sender learns the real loss (and stops planning FEC for the configured
/// guess) quickly; then one sender report and one receiver report per `interval`. Owned by the loop thread.
struct CallReports {
    /// Time between reports after the first.
    static let intervalNanoseconds: Int64 = 1_000_000_000
    static let firstReportNanoseconds: Int64 = 250_000_000

    private(set) var nextReport: ClockInstant
    var counters = RTCPCounters()
    /// The latest report block the peer sent about our stream.
    var peerReport: RTCPPacket.ReportBlock?
    /// Time between reports; 0 sends none (the lab's `--rtcp-interval-ms 0`).
    let intervalNanoseconds: Int64

    /// Reports every `intervalNanoseconds` (the first after 250 ms, or one interval if that is shorter).
    init(start: ClockInstant, intervalNanoseconds: Int64 = Self.intervalNanoseconds) {
        self.intervalNanoseconds = intervalNanoseconds
        nextReport =
            intervalNanoseconds > 0
            ? start.advanced(byNanoseconds: min(Self.firstReportNanoseconds, intervalNanoseconds))
            : start.advanced(byNanoseconds: Int64.max / 4)
    }

    /// Whether reports are due at `now`; if so the schedule moves on by one interval.
    mutating func takeDue(now: ClockInstant) -> Bool {
        guard intervalNanoseconds > 0, now >= nextReport else { return false }
        nextReport = nextReport.advanced(byNanoseconds: intervalNanoseconds)
        if nextReport <= now { nextReport = now.advanced(byNanoseconds: intervalNanoseconds) }
        return true
    }
}

/// What a call's RTCP did: reports sent and received (SRTCP-authenticated), and authenticated RTCP that was
/// not a report Hopline uses (other packet types are ignored, as RFC 3550 asks).
public struct RTCPCounters: Equatable, Sendable, Codable {
    public var senderReportsSent = 0
    public var receiverReportsSent = 0
    public var senderReportsReceived = 0
    public var receiverReportsReceived = 0
    /// Authenticated RTCP of a type Hopline does not use (BYE, SDES, APP, ...): ignored.
    public var ignored = 0

    public init() {}
}
