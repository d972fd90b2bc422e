/// The RTCP packets Hopline sends (RFC 3550 section 6.4): sender reports, which let the receiver echo a
/// timestamp for round-trip time, and receiver reports with loss and jitter, which drive the sender's
/// adaptation. Multiplexed with RTP on one port (RFC 5761): payload types 200/201 cannot be RTP's.
public enum RTCPPacket: Equatable, Sendable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)

    public static let senderReportType: UInt8 = 200
    public static let receiverReportType: UInt8 = 201

    /// RFC 3550 6.4.1: who sends, its clock in NTP format, and what it has sent.
    public struct SenderReport: Equatable, Sendable {
        public var ssrc: UInt32
        public var ntpTimestamp: UInt64
        public var rtpTimestamp: UInt32
        public var packetCount: UInt32
        public var octetCount: UInt32

        public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32) {
            self.ssrc = ssrc
            self.ntpTimestamp = ntpTimestamp
            self.rtpTimestamp = rtpTimestamp
            self.packetCount = packetCount
            self.octetCount = octetCount
        }
    }

    /// RFC 3550 6.4.2: the reporter and one report block per source it receives.
    public struct ReceiverReport: Equatable, Sendable {
        public var ssrc: UInt32
        public var blocks: [ReportBlock]

        public init(ssrc: UInt32, blocks: [ReportBlock]) {
            self.ssrc = ssrc
            self.blocks = blocks
        }
    }

    /// RFC 3550 6.4.1 report block: reception quality of one source.
    public struct ReportBlock: Equatable, Sendable {
        public var sourceSSRC: UInt32
        /// Fraction of packets lost since the previous report, in 1/256.
        public var fractionLost: UInt8
        /// Cumulative packets lost (24-bit signed on the wire).
        public var cumulativeLost: Int32
        public var extendedHighestSequence: UInt32
        /// Interarrival jitter in RTP timestamp units.
        public var jitter: UInt32
        /// Middle 32 bits of the last sender report's NTP timestamp (0: none yet).
        public var lastSenderReport: UInt32
        /// Delay since that sender report, in 1/65536 s.
        public var delaySinceLastSenderReport: UInt32

        public init(
            sourceSSRC: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32,
            jitter: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
        ) {
            self.sourceSSRC = sourceSSRC
            self.fractionLost = fractionLost
            self.cumulativeLost = cumulativeLost
            self.extendedHighestSequence = extendedHighestSequence
            self.jitter = jitter
            self.lastSenderReport = lastSenderReport
            self.delaySinceLastSenderReport = delaySinceLastSenderReport
        }
    }

    /// Whether a datagram is RTCP rather than RTP on a multiplexed port (RFC 5761 section 4).
    public static func isRTCP<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8, Bytes.Index == Int {
        bytes.count >= 2 && bytes[bytes.startIndex] >> 6 == 2 && (192...223).contains(bytes[bytes.startIndex + 1])
    }

    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .senderReport(let report):
            bytes.append(0x80)
            bytes.append(Self.senderReportType)
            bytes.appendBigEndian(UInt16(6))  // length in 32-bit words minus one
            bytes.appendBigEndian(report.ssrc)
            bytes.appendBigEndian(UInt32(truncatingIfNeeded: report.ntpTimestamp >> 32))
            bytes.appendBigEndian(UInt32(truncatingIfNeeded: report.ntpTimestamp))
            bytes.appendBigEndian(report.rtpTimestamp)
            bytes.appendBigEndian(report.packetCount)
            bytes.appendBigEndian(report.octetCount)
        case .receiverReport(let report):
            precondition(report.blocks.count < 32, "RTCP allows 31 report blocks")
            bytes.append(0x80 | UInt8(report.blocks.count))
            bytes.append(Self.receiverReportType)
            bytes.appendBigEndian(UInt16(1 + 6 * report.blocks.count))
            bytes.appendBigEndian(report.ssrc)
            for block in report.blocks {
                bytes.appendBigEndian(block.sourceSSRC)
                let lost = UInt32(bitPattern: max(-0x80_0000, min(0x7F_FFFF, block.cumulativeLost))) & 0xFF_FFFF
                bytes.appendBigEndian(UInt32(block.fractionLost) << 24 | lost)
                bytes.appendBigEndian(block.extendedHighestSequence)
                bytes.appendBigEndian(block.jitter)
                bytes.appendBigEndian(block.lastSenderReport)
                bytes.appendBigEndian(block.delaySinceLastSenderReport)
            }
        }
        return bytes
    }

    /// Parses one RTCP packet (the first of a compound packet); specific errors for anything malformed.
    public init(parsing bytes: [UInt8]) throws(RTCPParseError) {
        guard bytes.count >= 8 else { throw .tooShort(length: bytes.count) }
        guard bytes[0] >> 6 == 2 else { throw .unsupportedVersion(bytes[0] >> 6) }
        let count = Int(bytes[0] & 0x1F)
        let length = (Int(bytes.readBigEndianUInt16(at: 2)) + 1) * 4
        guard length <= bytes.count else { throw .truncated(declared: length, length: bytes.count) }
        let ssrc = bytes.readBigEndianUInt32(at: 4)
        switch bytes[1] {
        case Self.senderReportType:
            guard length >= 28 else { throw .truncated(declared: 28, length: length) }
            let ntp = UInt64(bytes.readBigEndianUInt32(at: 8)) << 32 | UInt64(bytes.readBigEndianUInt32(at: 12))
            self = .senderReport(
                SenderReport(
                    ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: bytes.readBigEndianUInt32(at: 16),
                    packetCount: bytes.readBigEndianUInt32(at: 20), octetCount: bytes.readBigEndianUInt32(at: 24)))
        case Self.receiverReportType:
            guard length >= 8 + 24 * count else { throw .truncated(declared: 8 + 24 * count, length: length) }
            var blocks: [ReportBlock] = []
            for index in 0..<count {
                let base = 8 + 24 * index
                let lostWord = bytes.readBigEndianUInt32(at: base + 4)
                var lost = Int32(bitPattern: lostWord & 0xFF_FFFF)
                if lost & 0x80_0000 != 0 { lost -= 0x100_0000 }
                blocks.append(
                    ReportBlock(
                        sourceSSRC: bytes.readBigEndianUInt32(at: base), fractionLost: UInt8(lostWord >> 24),
                        cumulativeLost: lost, extendedHighestSequence: bytes.readBigEndianUInt32(at: base + 8),
                        jitter: bytes.readBigEndianUInt32(at: base + 12), lastSenderReport: bytes.readBigEndianUInt32(at: base + 16),
                        delaySinceLastSenderReport: bytes.readBigEndianUInt32(at: base + 20)))
            }
            self = .receiverReport(ReceiverReport(ssrc: ssrc, blocks: blocks))
        default:
            throw .unsupportedType(bytes[1])
        }
    }
}

/// Why bytes are not an RTCP packet Hopline understands.
public enum RTCPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(length: Int)
    case unsupportedVersion(UInt8)
    case truncated(declared: Int, length: Int)
    case unsupportedType(UInt8)

    public var description: String {
        switch self {
        case .tooShort(let length): return "RTCP packet too short: \(length) bytes (expected at least 8)"
        case .unsupportedVersion(let version): return "unsupported RTCP version \(version) (expected 2)"
        case .truncated(let declared, let length): return "RTCP packet truncated: needs \(declared) bytes, has \(length)"
        case .unsupportedType(let type): return "unsupported RTCP packet type \(type) (expected 200 SR or 201 RR)"
        }
    }
}
