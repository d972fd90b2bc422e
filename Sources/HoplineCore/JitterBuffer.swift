/// A receive-side buffer that turns RTP packets arriving at irregular times, out of order, twice or never,
/// into one playout decision at a time.
///
/// The media receiver calls `insert` for every packet from the network and `nextOperation` whenever its
/// playout needs more audio. Implementations get time only through the `now`/`arrival` arguments (from a
/// `MediaClock`), never from the wall clock, so tests drive them exactly.
public protocol JitterBuffer: Sendable {
    /// Offers one packet that arrived at `arrival`; `duration` is its audio length in 48 kHz samples.
    mutating func insert(_ packet: RTPPacket, duration: Int, arrival: ClockInstant) -> JitterBufferInsertResult
    /// Decides what the playout side does next, at time `now`.
    mutating func nextOperation(now: ClockInstant) -> PlayoutOperation
    /// Counters kept since the buffer was created.
    var statistics: JitterBufferStatistics { get }
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
    /// A packet is missing: synthesise `samples` of audio with the decoder's packet-loss concealment.
    case conceal(samples: Int)
    /// The sender paused (DTX: the timestamp jumped with no sequence gap): play `samples` of comfort noise.
    case comfortNoise(samples: Int)
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
    public var streamResets = 0

    public init() {}
}
