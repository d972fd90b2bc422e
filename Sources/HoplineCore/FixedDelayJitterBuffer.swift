/// A jitter buffer with a fixed target delay: playout starts `targetDelay` after the first packet arrives
/// and then advances one packet duration per decision, concealing whatever is missing.
///
/// Correct on a clean or lightly disturbed path: it reorders, drops duplicates, counts late packets,
/// survives sequence and timestamp wraparound, restarts on an SSRC change, and tells DTX pauses (timestamp
/// jump without a sequence gap) from losses. It does not adapt its delay; `AdaptiveJitterBuffer` replaces it
/// behind the same `JitterBuffer` protocol.
public struct FixedDelayJitterBuffer: JitterBuffer {
    /// How long the first packet is held before playout starts.
    public let targetDelayNanoseconds: Int64
    /// The most audio (in 48 kHz samples) held ahead of the playout point; packets beyond are dropped as
    /// a sender that runs away (a timestamp jump this large restarts the stream instead).
    public let capacitySamples: Int64

    public private(set) var statistics = JitterBufferStatistics()

    private var buffer = PacketBuffer()
    private var startTime: ClockInstant?
    /// The extended timestamp of the next sample to play, once playout has started.
    private var playoutTimestamp: Int64?
    private var lastPlayedSequence: Int64?
    private var lastDuration = 960
    /// Frames concealed while the buffer ran empty, not yet classified: when the next packet plays, they
    /// were a DTX pause (no sequence gap, marker bit: a new talkspurt) or concealment (anything else).
    /// Still pending when the stream ends, they are the stream's end and count as neither.
    private var unclassifiedUnderrunFrames = 0

    public init(targetDelayMilliseconds: Double = 20, capacityMilliseconds: Double = 2_000) {
        precondition(targetDelayMilliseconds >= 0, "target delay must not be negative")
        targetDelayNanoseconds = Int64(targetDelayMilliseconds * 1_000_000)
        capacitySamples = Int64(capacityMilliseconds * 48)
    }

    public mutating func insert(_ packet: RTPPacket, duration: Int, arrival: ClockInstant) -> JitterBufferInsertResult {
        let buffered: BufferedPacket
        var result = JitterBufferInsertResult.accepted
        switch buffer.admit(packet, duration: duration, arrival: arrival) {
        case .duplicate:
            statistics.duplicates += 1
            return .duplicate
        case .fresh(let admitted):
            buffered = admitted
        case .firstOfNewStream(let admitted):
            resetPlayout()
            statistics.streamResets += 1
            result = .acceptedNewStream
            buffered = admitted
        }
        if let playoutTimestamp {
            if buffered.extendedTimestamp < playoutTimestamp {
                statistics.late += 1
                return .late
            }
            if buffered.extendedTimestamp - playoutTimestamp > capacitySamples {
                // Far ahead of playout: the sender jumped (restart, long pause). Start over from this packet.
                restart()
                statistics.streamResets += 1
                return insert(packet, duration: duration, arrival: arrival)
            }
        }
        statistics.inserted += 1
        buffer.store(buffered)
        if startTime == nil { startTime = arrival.advanced(byNanoseconds: targetDelayNanoseconds) }
        return result
    }

    /// A RED copy fills its slot only if nothing for it came yet and playout has not passed it; it never
    /// starts playout or the stream, and is not counted as a duplicate or late packet.
    public mutating func insertRedundant(_ packet: RTPPacket, duration: Int, arrival: ClockInstant, distance: Int) -> JitterBufferInsertResult {
        guard startTime != nil, buffer.ssrc == packet.ssrc,
            case .fresh(let buffered) = buffer.admit(packet, duration: duration, arrival: arrival)
        else { return .duplicate }
        if let playoutTimestamp, buffered.extendedTimestamp < playoutTimestamp {
            statistics.redundantCopiesLate += 1
            return .late
        }
        statistics.redundantCopiesUsed += 1
        if distance >= 2 { statistics.burstCopiesUsed += 1 }
        buffer.store(buffered)
        return .accepted
    }

    public mutating func nextOperation(now: ClockInstant) -> PlayoutOperation {
        guard let startTime, now >= startTime, let first = buffer.first else {
            if playoutTimestamp != nil { return concealMissing() }
            return .waiting
        }
        if playoutTimestamp == nil { playoutTimestamp = first.extendedTimestamp }
        guard let playoutTimestamp else { return .waiting }
        if first.extendedTimestamp == playoutTimestamp {
            buffer.removeFirst()
            classifyUnderrun(resumingWith: first)
            self.playoutTimestamp = playoutTimestamp + Int64(first.duration)
            lastPlayedSequence = first.extendedSequence
            lastDuration = first.duration
            statistics.played += 1
            return .normal(first)
        }
        // A gap before the next buffered packet: a pause if no sequence number is missing, else a loss.
        let gap = Int(first.extendedTimestamp - playoutTimestamp)
        let samples = min(gap, lastDuration)
        self.playoutTimestamp = playoutTimestamp + Int64(samples)
        classifyUnderrun(resumingWith: first)
        if let lastPlayedSequence, first.extendedSequence == lastPlayedSequence + 1 {
            statistics.comfortNoise += 1
            return .comfortNoise(samples: samples)
        }
        statistics.concealed += 1
        return .conceal(samples: samples)
    }

    /// Nothing buffered while playing: conceal one packet's worth and move on; what it was is decided later.
    private mutating func concealMissing() -> PlayoutOperation {
        guard let playoutTimestamp else { return .waiting }
        self.playoutTimestamp = playoutTimestamp + Int64(lastDuration)
        unclassifiedUnderrunFrames += 1
        return .conceal(samples: lastDuration)
    }

    /// Counts the frames played while the buffer was empty, now that `next` shows what the silence was.
    private mutating func classifyUnderrun(resumingWith next: BufferedPacket) {
        guard unclassifiedUnderrunFrames > 0 else { return }
        if let lastPlayedSequence, next.extendedSequence == lastPlayedSequence + 1, next.packet.marker {
            statistics.comfortNoise += unclassifiedUnderrunFrames
        } else {
            statistics.concealed += unclassifiedUnderrunFrames
        }
        unclassifiedUnderrunFrames = 0
    }

    /// Forgets the stream entirely: its packets and numbering, and the playout state.
    private mutating func restart() {
        buffer.reset()
        resetPlayout()
    }

    /// Forgets where playout stands (after a new stream, or with the packet store in `restart`).
    private mutating func resetPlayout() {
        startTime = nil
        playoutTimestamp = nil
        lastPlayedSequence = nil
        unclassifiedUnderrunFrames = 0
    }
}
