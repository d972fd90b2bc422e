/// An RFC 2198 redundant-audio (RED) payload: older frames carried again in front of the primary frame, as
/// Chrome's audio RED for Opus does.
///
/// Layout: one 4-byte header per redundant block (F bit set, block payload type 7 bits, timestamp offset
/// 14 bits, block length 10 bits), a 1-byte header for the primary (F bit clear, payload type), then the
/// redundant blocks' bytes in header order and the primary's bytes to the end.
///
/// Hopline's sender puts redundant blocks oldest first and only for the packets it sent just before with
/// consecutive sequence numbers, so the last block is the previous packet (sequence - 1), the one before it
/// sequence - 2: RFC 2198 carries no sequence numbers, and this is how the receiver numbers the copies.
public struct REDPayload: Equatable, Sendable {
    /// The payload type Hopline uses for RED (Chrome's default for `red/48000/2`).
    public static let payloadType: UInt8 = 63
    /// The most redundant blocks Hopline sends or accepts in one packet.
    public static let maximumBlocks = 2
    /// The largest timestamp offset and block length the header fields hold.
    public static let maximumTimestampOffset = 0x3FFF
    public static let maximumBlockLength = 0x3FF

    /// One older frame carried again.
    public struct Block: Equatable, Sendable {
        public var payloadType: UInt8
        /// How far before the primary's timestamp this frame starts, in RTP clock units.
        public var timestampOffset: UInt16
        public var payload: [UInt8]

        public init(payloadType: UInt8, timestampOffset: UInt16, payload: [UInt8]) {
            self.payloadType = payloadType
            self.timestampOffset = timestampOffset
            self.payload = payload
        }
    }

    /// Redundant blocks, oldest first (largest timestamp offset first).
    public var redundant: [Block]
    public var primaryPayloadType: UInt8
    public var primary: [UInt8]

    public init(redundant: [Block], primaryPayloadType: UInt8, primary: [UInt8]) {
        self.redundant = redundant
        self.primaryPayloadType = primaryPayloadType
        self.primary = primary
    }

    /// Bytes of redundancy this payload adds over the primary alone (headers and copies).
    public var overheadBytes: Int { redundant.reduce(1) { $0 + 4 + $1.payload.count } }

    /// The wire form; the caller keeps offsets and lengths within the header fields' range.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(primary.count + overheadBytes)
        for block in redundant {
            precondition(block.payload.count <= Self.maximumBlockLength && Int(block.timestampOffset) <= Self.maximumTimestampOffset)
            let offset = UInt32(block.timestampOffset), length = UInt32(block.payload.count)
            bytes.append(0x80 | block.payloadType)
            let packed = offset << 10 | length
            bytes.append(UInt8(truncatingIfNeeded: packed >> 16))
            bytes.append(UInt8(truncatingIfNeeded: packed >> 8))
            bytes.append(UInt8(truncatingIfNeeded: packed))
        }
        bytes.append(primaryPayloadType & 0x7F)
        for block in redundant { bytes.append(contentsOf: block.payload) }
        bytes.append(contentsOf: primary)
        return bytes
    }

    /// Parses a RED payload; throws a specific `REDParseError` for anything malformed, including more than
    /// `maximumBlocks` redundant blocks and offsets that do not strictly decrease toward the primary.
    public init<Bytes: RandomAccessCollection>(parsing bytes: Bytes) throws(REDParseError)
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let base = bytes.startIndex
        var offset = 0
        var headers: [(payloadType: UInt8, timestampOffset: UInt16, length: Int)] = []
        while true {
            guard offset < bytes.count else { throw .truncatedHeaders(length: bytes.count) }
            let first = bytes[base + offset]
            guard first & 0x80 != 0 else { break }
            guard offset + 4 <= bytes.count else { throw .truncatedHeaders(length: bytes.count) }
            guard headers.count < Self.maximumBlocks else { throw .tooManyBlocks(limit: Self.maximumBlocks) }
            let packed = UInt32(bytes[base + offset + 1]) << 16 | UInt32(bytes[base + offset + 2]) << 8 | UInt32(bytes[base + offset + 3])
            let timestampOffset = UInt16(packed >> 10)
            if let previous = headers.last, timestampOffset >= previous.timestampOffset {
                throw .offsetsNotDecreasing
            }
            guard timestampOffset > 0 else { throw .offsetsNotDecreasing }
            headers.append((first & 0x7F, timestampOffset, Int(packed & 0x3FF)))
            offset += 4
        }
        let primaryPayloadType = bytes[base + offset] & 0x7F
        offset += 1
        let needed = offset + headers.reduce(0) { $0 + $1.length }
        guard needed <= bytes.count else { throw .truncatedBlocks(needed: needed, length: bytes.count) }
        var redundant: [Block] = []
        redundant.reserveCapacity(headers.count)
        for header in headers {
            redundant.append(
                Block(
                    payloadType: header.payloadType, timestampOffset: header.timestampOffset,
                    payload: Array(bytes[(base + offset)..<(base + offset + header.length)])))
            offset += header.length
        }
        guard offset < bytes.count else { throw .emptyPrimary }
        self.init(redundant: redundant, primaryPayloadType: primaryPayloadType, primary: Array(bytes[(base + offset)...]))
    }
}

/// Why an RTP payload is not a valid RED payload (RFC 2198) as Hopline accepts it.
public enum REDParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncatedHeaders(length: Int)
    case tooManyBlocks(limit: Int)
    case offsetsNotDecreasing
    case truncatedBlocks(needed: Int, length: Int)
    case emptyPrimary

    public var description: String {
        switch self {
        case .truncatedHeaders(let length): return "RED block headers run past the \(length)-byte payload"
        case .tooManyBlocks(let limit): return "RED payload has more than \(limit) redundant blocks"
        case .offsetsNotDecreasing: return "RED timestamp offsets must be positive and decrease toward the primary"
        case .truncatedBlocks(let needed, let length): return "RED blocks need \(needed) bytes, payload has \(length)"
        case .emptyPrimary: return "RED payload has no primary data"
        }
    }
}
