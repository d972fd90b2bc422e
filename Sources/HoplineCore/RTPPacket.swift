/// One RTP packet (RFC 3550): the fixed header, optional CSRCs and header extension, and the payload.
///
/// Hopline sends Opus in RTP as RFC 7587 describes: a 48 kHz RTP clock whatever the audio bandwidth, one
/// Opus packet per RTP packet, and the marker bit on the first packet of a talkspurt.
public struct RTPPacket: Equatable, Sendable {
    /// The dynamic payload type Hopline uses for Opus unless negotiated otherwise.
    public static let opusPayloadType: UInt8 = 111
    /// The RTP clock rate for Opus (RFC 7587 section 4.1), independent of the audio bandwidth.
    public static let opusClockRate = 48_000
    /// The size of the fixed header, without CSRCs or extension.
    public static let fixedHeaderSize = 12

    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    /// The header extension (profile-defined 16 bits and the data, a multiple of 4 bytes), if any.
    public var headerExtension: HeaderExtension?
    public var payload: [UInt8]

    /// An RTP header extension (RFC 3550 section 5.3.1).
    public struct HeaderExtension: Equatable, Sendable {
        public var profile: UInt16
        public var data: [UInt8]

        public init(profile: UInt16, data: [UInt8]) {
            self.profile = profile
            self.data = data
        }
    }

    public init(
        marker: Bool = false,
        payloadType: UInt8 = RTPPacket.opusPayloadType,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        headerExtension: HeaderExtension? = nil,
        payload: [UInt8]
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
    }
}

/// Why bytes from the network are not a valid RTP packet.
public enum RTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(length: Int)
    case unsupportedVersion(UInt8)
    case truncatedCSRCList(needed: Int, length: Int)
    case truncatedExtension(needed: Int, length: Int)
    case invalidPadding(padding: Int, available: Int)
    case payloadTypeOutOfRange(UInt8)

    public var description: String {
        switch self {
        case .tooShort(let length):
            return "RTP packet too short: \(length) bytes (expected at least \(RTPPacket.fixedHeaderSize))"
        case .unsupportedVersion(let version):
            return "unsupported RTP version \(version) (expected 2)"
        case .truncatedCSRCList(let needed, let length):
            return "RTP CSRC list truncated: header needs \(needed) bytes, packet has \(length)"
        case .truncatedExtension(let needed, let length):
            return "RTP header extension truncated: needs \(needed) bytes, packet has \(length)"
        case .invalidPadding(let padding, let available):
            return "RTP padding of \(padding) bytes exceeds the \(available) bytes after the header"
        case .payloadTypeOutOfRange(let type):
            return "RTP payload type \(type) is reserved for RTCP (72-76)"
        }
    }
}

extension RTPPacket {
    /// The number of bytes `serialize(into:)` appends.
    public var serializedSize: Int {
        Self.fixedHeaderSize + 4 * csrcs.count + (headerExtension.map { 4 + $0.data.count } ?? 0) + payload.count
    }

    /// Appends the packet's wire form to `bytes` (no padding is ever added).
    public func serialize(into bytes: inout [UInt8]) {
        precondition(csrcs.count <= 15, "RTP allows at most 15 CSRCs")
        precondition(payloadType < 128, "RTP payload type is 7 bits")
        if let headerExtension { precondition(headerExtension.data.count % 4 == 0, "extension data must be 32-bit words") }
        bytes.reserveCapacity(bytes.count + serializedSize)
        let extensionBit: UInt8 = headerExtension == nil ? 0 : 0x10
        bytes.append(0x80 | extensionBit | UInt8(csrcs.count))
        bytes.append((marker ? 0x80 : 0) | payloadType)
        bytes.appendBigEndian(sequenceNumber)
        bytes.appendBigEndian(timestamp)
        bytes.appendBigEndian(ssrc)
        for csrc in csrcs { bytes.appendBigEndian(csrc) }
        if let headerExtension {
            bytes.appendBigEndian(headerExtension.profile)
            bytes.appendBigEndian(UInt16(headerExtension.data.count / 4))
            bytes.append(contentsOf: headerExtension.data)
        }
        bytes.append(contentsOf: payload)
    }

    /// The packet's wire form.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return bytes
    }

    /// Parses one datagram; throws a specific `RTPParseError` for anything malformed.
    public init<Bytes: RandomAccessCollection>(parsing bytes: Bytes) throws(RTPParseError)
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let base = bytes.startIndex
        let length = bytes.count
        guard length >= Self.fixedHeaderSize else { throw .tooShort(length: length) }
        let first = bytes[base]
        let version = first >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let hasPadding = first & 0x20 != 0
        let hasExtension = first & 0x10 != 0
        let csrcCount = Int(first & 0x0F)
        let second = bytes[base + 1]
        let payloadType = second & 0x7F
        // RFC 5761: 72-76 would collide with RTCP packet types 200-204 on a multiplexed port.
        guard !(72...76).contains(payloadType) else { throw .payloadTypeOutOfRange(payloadType) }
        var offset = Self.fixedHeaderSize
        let csrcEnd = offset + 4 * csrcCount
        guard csrcEnd <= length else { throw .truncatedCSRCList(needed: csrcEnd, length: length) }
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(csrcCount)
        while offset < csrcEnd {
            csrcs.append(bytes.readBigEndianUInt32(at: base + offset))
            offset += 4
        }
        var headerExtension: HeaderExtension?
        if hasExtension {
            guard offset + 4 <= length else { throw .truncatedExtension(needed: offset + 4, length: length) }
            let profile = bytes.readBigEndianUInt16(at: base + offset)
            let words = Int(bytes.readBigEndianUInt16(at: base + offset + 2))
            let end = offset + 4 + 4 * words
            guard end <= length else { throw .truncatedExtension(needed: end, length: length) }
            headerExtension = HeaderExtension(profile: profile, data: Array(bytes[(base + offset + 4)..<(base + end)]))
            offset = end
        }
        var payloadEnd = length
        if hasPadding {
            let padding = Int(bytes[base + length - 1])
            guard padding >= 1, padding <= length - offset else {
                throw .invalidPadding(padding: padding, available: length - offset)
            }
            payloadEnd -= padding
        }
        self.init(
            marker: second & 0x80 != 0,
            payloadType: payloadType,
            sequenceNumber: bytes.readBigEndianUInt16(at: base + 2),
            timestamp: bytes.readBigEndianUInt32(at: base + 4),
            ssrc: bytes.readBigEndianUInt32(at: base + 8),
            csrcs: csrcs,
            headerExtension: headerExtension,
            payload: Array(bytes[(base + offset)..<(base + payloadEnd)])
        )
    }
}
