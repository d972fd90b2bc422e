/// A receive-side buffer that turns RTP packets arriving at irregular times, out of order, twice or never,
/// into one playout decision at a time.
///
/// The media receiver calls `insert` for every packet from the network and `nextOperation` whenever its
/// playout needs more audio. Implementations get time only through the `now`/`arrival` arguments (from a
/// `MediaClock`), never from the wall clock, so tests drive them exactly.
public protocol JitterBuffer: Sendable {
    /// Offers one packet that arrived at `arrival`; `duration` is its audio length in 48 kHz samples.
    mutating func insert(_ packet: RTPPacket, duration: Int, arrival: ClockInstant) -> JitterBufferInsertResult
    /// Offers a redundant copy (RFC 2198 RED) of the packet `distance` numbers before the one that carried it.
    /// It fills the slot only if neither the primary nor another copy came first; it does not count as an
    /// arrival for delay estimation (it rode in a later packet), and a primary arriving after it is a duplicate.
    mutating func insertRedundant(_ packet: RTPPacket, duration: Int, arrival: ClockInstant, distance: Int) -> JitterBufferInsertResult
    /// Decides what the playout side does next, at time `now`.
    mutating func nextOperation(now: ClockInstant) -> PlayoutOperation
    /// Counters kept since the buffer was created.
    var statistics: JitterBufferStatistics { get }
    /// Tells the buffer that carrying out its last operation changed the audio's length by `samples`
    /// (negative: accelerated; positive: stretched), so its delay estimate moves at once.
    mutating func didStretch(bySamples samples: Int)
    /// Arrivals and decisions, in order, when the buffer was asked to record them (for timeline plots).
    var timeline: [JitterBufferEvent] { get }
    /// Tells the buffer that packets now come another way (a call moved to another path), so a step in
    /// latency is measured against the new path at once instead of being waited out as jitter.
    mutating func pathChanged()
}

extension JitterBuffer {
    /// A buffer without its own RED handling takes a copy as an ordinary packet.
    public mutating func insertRedundant(_ packet: RTPPacket, duration: Int, arrival: ClockInstant, distance: Int) -> JitterBufferInsertResult {
        insert(packet, duration: duration, arrival: arrival)
    }
    public mutating func didStretch(bySamples samples: Int) {}
    public mutating func pathChanged() {}
    public var timeline: [JitterBufferEvent] { [] }
}

/// A packet held by a jitter buffer, with what the buffer learned about it on arrival.
public struct BufferedPacket: Equatable, Sendable {
    public var packet: RTPPacket
    /// Audio length in 48 kHz samples.
    public var duration: Int
    public var arrival: ClockInstant
    /// The sequence number extended past wraparound.
    public var extendedSequence: Int64
    /// The RTP timestamp extended past wraparound.
    public var extendedTimestamp: Int64

    public init(packet: RTPPacket, duration: Int, arrival: ClockInstant, extendedSequence: Int64, extendedTimestamp: Int64) {
        self.packet = packet
        self.duration = duration
        self.arrival = arrival
        self.extendedSequence = extendedSequence
        self.extendedTimestamp = extendedTimestamp
    }
}

/// What happened to a packet offered to a jitter buffer.
public enum JitterBufferInsertResult: Equatable, Sendable {
    case accepted
    /// The same sequence number was already received.
    case duplicate
    /// It arrived after its playout time had passed.
    case late
    /// Its SSRC differs from the current stream's, so the buffer started over with the new stream.
    case acceptedNewStream
}

/// The one thing the playout side does next. Returned once per decision, asserted in tests.
public enum PlayoutOperation: Equatable, Sendable {
    /// Playout has not started (nothing received yet, or still filling to the target delay): play silence.
    case waiting
    /// Decode this packet normally.
    case normal(BufferedPacket)
    /// Decode this packet after concealment, so the concealed audio and the new frame join smoothly.
    case merge(BufferedPacket)
    /// Decode this packet and shorten it by about a pitch period, at most `maximumSamples`: the buffer holds
    /// more delay than needed.
    case accelerate(BufferedPacket, maximumSamples: Int)
    /// Decode this packet and lengthen it by about a pitch period, at most `maximumSamples`: the buffer runs
    /// short of its target.
    case preemptiveExpand(BufferedPacket, maximumSamples: Int)
    /// The packet for this slot is missing but the next one has arrived: rebuild `samples` of audio from the
    /// next packet's in-band FEC (libopus falls back to PLC when the packet carries none). `next` stays buffered.
    case recoverFromFEC(next: BufferedPacket, samples: Int)
    /// A packet is missing or late (or the buffer ran dry): synthesise `samples` of audio with the decoder's
    /// packet-loss concealment (expand).
    case conceal(samples: Int)
    /// The sender paused (DTX: the timestamp jumped with no sequence gap): play `samples` of comfort noise.
    case comfortNoise(samples: Int)

    /// A short name for logs, plots and tests.
    public var name: String {
        switch self {
        case .waiting: return "waiting"
        case .normal: return "normal"
        case .merge: return "merge"
        case .accelerate: return "accelerate"
        case .preemptiveExpand: return "preemptive-expand"
        case .recoverFromFEC: return "fec"
        case .conceal: return "conceal"
        case .comfortNoise: return "comfort-noise"
        }
    }
}

/// One entry of a jitter buffer's timeline: a packet arriving, or a playout decision with the delay state.
public enum JitterBufferEvent: Equatable, Sendable {
    /// A packet arrived `relativeDelayMs` after the fastest packets would have; `late` if playout had passed it.
    case arrival(time: ClockInstant, sequence: Int64, relativeDelayMs: Double, late: Bool)
    /// A decision at `time`, with the target delay and the filtered actual delay then (ms).
    case decision(time: ClockInstant, operation: String, targetMs: Double, delayMs: Double)
}

/// Counters a jitter buffer keeps, for reports and receiver reports.
public struct JitterBufferStatistics: Equatable, Sendable {
    public var inserted = 0
    public var duplicates = 0
    public var late = 0
    public var played = 0
    /// Frames concealed because a packet was missing or late. An underrun is counted once the next packet
    /// shows whether it was a loss or a DTX pause (see `comfortNoise`).
    public var concealed = 0
    /// Frames of comfort noise: DTX pauses (a timestamp jump with no sequence gap, resumed with the marker bit).
    public var comfortNoise = 0
    /// Missing frames rebuilt from the next packet's in-band FEC.
    public var fecRecovered = 0
    /// Packets decoded after concealment (merge).
    public var merged = 0
    /// Packets shortened (accelerate) and lengthened (pre-emptive expand).
    public var accelerated = 0
    public var preemptiveExpanded = 0
    /// Audio removed plus audio added by time-stretching, in 48 kHz samples.
    public var stretchedSamples = 0
    public var streamResets = 0
    /// Redundant (RED) copies that filled a slot whose primary had not arrived, and those of them carried
    /// two or more packets later (a burst of two or more lost or delayed packets).
    public var redundantCopiesUsed = 0
    public var burstCopiesUsed = 0
    /// Redundant copies of a missing packet that came after its slot had been concealed.
    public var redundantCopiesLate = 0

    public init() {}
}
