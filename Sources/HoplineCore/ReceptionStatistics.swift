/// Per-stream reception counters as RFC 3550 defines them: packets expected and lost from the extended
/// highest sequence number, and the interarrival jitter estimate (section 6.4.1, A.8).
///
/// Fed with every valid RTP packet (duplicates included, as the RFC does) and its arrival time.
public struct ReceptionStatistics: Sendable {
    public private(set) var packetsReceived = 0
    public private(set) var bytesReceived = 0
    private var sequences = SequenceUnwrapper()
    private var baseSequence: Int64?
    public private(set) var highestSequence: Int64 = 0
    /// Interarrival jitter in RTP timestamp units (48 kHz samples for Opus).
    public private(set) var jitter: Double = 0
    private var lastTransit: Int64?
    private var ssrc: UInt32 = 0
    private var expectedPrior = 0
    private var receivedPrior = 0
    /// The last sender report's NTP middle 32 bits and when it arrived, for LSR/DLSR.
    private var lastSenderReport: (middle: UInt32, arrival: ClockInstant)?

    public init() {}

    public mutating func record(_ packet: RTPPacket, payloadBytes: Int, arrival: ClockInstant) {
        packetsReceived += 1
        bytesReceived += payloadBytes
        ssrc = packet.ssrc
        let sequence = sequences.unwrap(packet.sequenceNumber)
        if let base = baseSequence {
            if sequence < base { baseSequence = sequence }
            highestSequence = max(highestSequence, sequence)
        } else {
            baseSequence = sequence
            highestSequence = sequence
        }
        // Arrival converted to RTP units; only differences matter, so any origin works.
        let arrivalUnits = arrival.nanoseconds * Int64(RTPPacket.opusClockRate) / 1_000_000_000
        let transit = arrivalUnits - Int64(packet.timestamp)
        if let lastTransit {
            let delta = Double(abs(transit - lastTransit))
            jitter += (delta - jitter) / 16
        }
        lastTransit = transit
    }

    /// Packets the sender sent from the first to the highest sequence number seen.
    public var packetsExpected: Int {
        guard let baseSequence else { return 0 }
        return Int(highestSequence - baseSequence + 1)
    }

    /// Expected minus received; duplicates can make it negative, as in RFC 3550.
    public var cumulativeLost: Int { packetsExpected - packetsReceived }

    /// Interarrival jitter in milliseconds.
    public var jitterMilliseconds: Double { jitter * 1000 / Double(RTPPacket.opusClockRate) }

    /// Remembers a sender report from the source so the next report block can echo it (RTT measurement).
    public mutating func noteSenderReport(ntpTimestamp: UInt64, arrival: ClockInstant) {
        lastSenderReport = (UInt32(truncatingIfNeeded: ntpTimestamp >> 16), arrival)
    }

    /// The report block for a receiver report sent at `now` (RFC 3550 A.3: the fraction lost covers the
    /// interval since the previous call).
    public mutating func makeReportBlock(now: ClockInstant) -> RTCPPacket.ReportBlock {
        let expected = packetsExpected
        let expectedInterval = expected - expectedPrior
        let lostInterval = expectedInterval - (packetsReceived - receivedPrior)
        expectedPrior = expected
        receivedPrior = packetsReceived
        let fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : min(255, (lostInterval << 8) / expectedInterval)
        var delaySinceLast: UInt32 = 0
        if let lastSenderReport {
            let seconds = max(0, now.seconds - lastSenderReport.arrival.seconds)
            delaySinceLast = UInt32(min(seconds * 65_536, Double(UInt32.max)))
        }
        return RTCPPacket.ReportBlock(
            sourceSSRC: ssrc, fractionLost: UInt8(fraction), cumulativeLost: Int32(clamping: cumulativeLost),
            extendedHighestSequence: UInt32(truncatingIfNeeded: highestSequence), jitter: UInt32(min(jitter, Double(UInt32.max))),
            lastSenderReport: lastSenderReport?.middle ?? 0, delaySinceLastSenderReport: delaySinceLast)
    }
}
