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

    public init() {}

    public mutating func record(_ packet: RTPPacket, payloadBytes: Int, arrival: ClockInstant) {
        packetsReceived += 1
        bytesReceived += payloadBytes
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
}
