/// The packet store inside a jitter buffer: tracks the stream (SSRC, extended sequence numbers and
/// timestamps), spots duplicates, and keeps packets sorted by timestamp until playout takes them.
///
/// Admission is two-step so the owning buffer can apply its own lateness rule in between:
/// `admit` extends and checks a packet, `store` keeps it. A packet with a new SSRC makes the store forget
/// the old stream itself; the owner only resets its playout state.
public struct PacketBuffer: Sendable {
    /// What `admit` made of a packet.
    public enum Admission: Equatable, Sendable {
        case fresh(BufferedPacket)
        /// Its SSRC differs from the stream's: the old stream's packets and numbering are gone, and this is
        /// the first packet of the new one. The owner resets its own playout state.
        case firstOfNewStream(BufferedPacket)
        case duplicate
    }

    public private(set) var ssrc: UInt32?
    private var sequences = SequenceUnwrapper()
    private var timestamps = TimestampUnwrapper()
    /// Sorted by extended timestamp.
    public private(set) var packets: [BufferedPacket] = []
    /// Recently seen extended sequence numbers, indexed modulo the window size.
    private var seenSequences = [Int64](repeating: -1, count: 1024)

    public init() {}

    public var isEmpty: Bool { packets.isEmpty }
    public var count: Int { packets.count }
    public var first: BufferedPacket? { packets.first }
    /// The newest buffered packet (highest timestamp).
    public var last: BufferedPacket? { packets.last }

    /// Extends the packet's numbers and checks it against the stream; does not store it.
    public mutating func admit(_ packet: RTPPacket, duration: Int, arrival: ClockInstant) -> Admission {
        if let ssrc, ssrc != packet.ssrc {
            reset()
            guard case .fresh(let first) = admit(packet, duration: duration, arrival: arrival) else {
                preconditionFailure("the first packet of a stream is always fresh")
            }
            return .firstOfNewStream(first)
        }
        ssrc = packet.ssrc
        let sequence = sequences.unwrap(packet.sequenceNumber)
        let timestamp = timestamps.unwrap(packet.timestamp)
        let slot = Int(UInt64(bitPattern: sequence) % UInt64(seenSequences.count))
        if seenSequences[slot] == sequence { return .duplicate }
        seenSequences[slot] = sequence
        return .fresh(
            BufferedPacket(
                packet: packet, duration: duration, arrival: arrival, extendedSequence: sequence,
                extendedTimestamp: timestamp))
    }

    /// Keeps an admitted packet, in timestamp order.
    public mutating func store(_ buffered: BufferedPacket) {
        let index = packets.lastIndex { $0.extendedTimestamp <= buffered.extendedTimestamp }.map { $0 + 1 } ?? 0
        packets.insert(buffered, at: index)
    }

    @discardableResult
    public mutating func removeFirst() -> BufferedPacket { packets.removeFirst() }

    /// The buffered packet whose timestamp is exactly `timestamp`, removed from the buffer.
    public mutating func take(timestamp: Int64) -> BufferedPacket? {
        guard let index = packets.firstIndex(where: { $0.extendedTimestamp == timestamp }) else { return nil }
        return packets.remove(at: index)
    }

    /// Drops packets older than `timestamp`; returns how many.
    @discardableResult
    public mutating func discard(olderThan timestamp: Int64) -> Int {
        let before = packets.count
        packets.removeAll { $0.extendedTimestamp < timestamp }
        return before - packets.count
    }

    /// Forgets the stream entirely (new SSRC, or a jump too far to bridge).
    public mutating func reset() {
        ssrc = nil
        sequences = SequenceUnwrapper()
        timestamps = TimestampUnwrapper()
        packets.removeAll(keepingCapacity: true)
        for index in seenSequences.indices { seenSequences[index] = -1 }
    }
}
