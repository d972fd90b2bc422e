import HoplineCodec
import HoplineCore

/// The sending half of a media stream: encodes 48 kHz mono frames with Opus and wraps each packet in RTP
/// (RFC 7587): sequence numbers and timestamps from random starting points, the marker bit on the first
/// packet of every talkspurt, nothing sent for frames the encoder marks as DTX silence.
///
/// With `redPayloadType` set (the peer offered RED), packets carry the previous one or two frames again
/// (RFC 2198, `REDPayload`) while `SenderAdaptation` says the receiver reports loss; otherwise, and always
/// on a clean path, plain Opus.
///
/// Not thread-safe: owned by the thread that captures (or reads) audio.
public final class MediaSender {
    public let ssrc: UInt32
    private let encoder: OpusEncoder
    private var sequenceNumber: UInt16
    private var timestamp: UInt32
    private var inTalkspurt = false
    private var packetBuffer: [UInt8] = []
    /// The RED payload type when the peer accepts RED; nil: never send RED.
    public let redPayloadType: UInt8?
    /// The frames sent just before, oldest first, with their timestamps (for RED): consecutive sequence
    /// numbers ending at the last one sent, emptied at every talkspurt start.
    private var history: [(timestamp: UInt32, payload: [UInt8])] = []
    public private(set) var statistics = SenderStatistics()
    /// Reacts to receiver reports (FEC planning, bitrate); see `SenderAdaptation`.
    public private(set) var adaptation: SenderAdaptation

    public init(
        settings: OpusSettings, ssrc: UInt32, initialSequence: UInt16, initialTimestamp: UInt32, redPayloadType: UInt8? = nil
    ) throws {
        self.redPayloadType = redPayloadType
        encoder = try OpusEncoder(settings: settings)
        adaptation = SenderAdaptation(base: settings, redundancyAvailable: redPayloadType != nil)
        self.ssrc = ssrc
        sequenceNumber = initialSequence
        timestamp = initialTimestamp
    }

    public var settings: OpusSettings { encoder.settings }
    /// The encoder's look-ahead in 48 kHz samples: decoded audio lags the input by this much.
    public var lookahead: Int { encoder.lookahead }
    /// The RTP timestamp the next frame will carry.
    public var nextTimestamp: UInt32 { timestamp }

    /// A random first sequence number below 32768 (as libwebrtc does): an SRTP receiver assumes rollover
    /// count 0 for the first packet it hears, so the first wrap must come long after the first packets.
    public static func randomInitialSequence<G: RandomNumberGenerator>(using generator: inout G) -> UInt16 {
        UInt16.random(in: 0..<0x8000, using: &generator)
    }

    /// Changes encoder settings mid-stream (bitrate, FEC, expected loss, DTX, complexity).
    public func apply(_ settings: OpusSettings) throws { try encoder.apply(settings) }

    /// An RTCP sender report for `now` (our clock), to send alongside the media.
    public func makeSenderReport(now: ClockInstant) -> [UInt8] {
        RTCPPacket.senderReport(
            .init(
                ssrc: ssrc, ntpTimestamp: SenderAdaptation.ntpTimestamp(now), rtpTimestamp: timestamp,
                packetCount: UInt32(truncatingIfNeeded: statistics.packetsSent),
                octetCount: UInt32(truncatingIfNeeded: statistics.payloadBytesSent))
        ).serialized()
    }

    /// Takes an RTCP datagram from the receiver: a receiver report about our stream adapts the encoder.
    /// Anything else, or anything malformed, is counted and ignored.
    public func handleRTCP(_ bytes: [UInt8], now: ClockInstant) {
        guard case .receiverReport(let report) = try? RTCPPacket(parsing: bytes) else {
            statistics.rtcpIgnored += 1
            return
        }
        for block in report.blocks where block.sourceSSRC == ssrc {
            statistics.receiverReports += 1
            if let settings = adaptation.receive(block, nowNTP: SenderAdaptation.ntpTimestamp(now)) {
                do {
                    try encoder.apply(settings)
                    statistics.adaptations += 1
                } catch {
                    statistics.rtcpIgnored += 1
                }
            }
        }
    }

    /// Encodes one frame; returns the RTP packet to send, or nil when DTX says to send nothing.
    public func packetize(frame: UnsafeBufferPointer<Float>) throws -> RTPPacket? {
        let length = try encoder.encode(frame, into: &packetBuffer)
        let frameTimestamp = timestamp
        timestamp &+= UInt32(frame.count)
        statistics.framesEncoded += 1
        // RFC 7587 section 3.1.3 / libopus: a packet of 2 bytes or less is DTX and need not be sent.
        if encoder.settings.discontinuousTransmission && length <= 2 {
            inTalkspurt = false
            statistics.framesSuppressedByDTX += 1
            return nil
        }
        if !inTalkspurt { history.removeAll(keepingCapacity: true) }
        var packet = RTPPacket(
            marker: !inTalkspurt, sequenceNumber: sequenceNumber, timestamp: frameTimestamp, ssrc: ssrc,
            payload: packetBuffer)
        if let redPayloadType, adaptation.redundancyDistance > 0 {
            let red = redundantPayload(primary: packetBuffer, timestamp: frameTimestamp, distance: adaptation.redundancyDistance)
            packet.payloadType = redPayloadType
            packet.payload = red.serialized()
            statistics.redPacketsSent += 1
            statistics.redundancyBytesSent += red.overheadBytes
        }
        if redPayloadType != nil {
            history.append((frameTimestamp, packetBuffer))
            if history.count > REDPayload.maximumBlocks { history.removeFirst() }
        }
        inTalkspurt = true
        sequenceNumber &+= 1
        statistics.packetsSent += 1
        statistics.payloadBytesSent += packet.payload.count
        return packet
    }

    /// The primary with up to `distance` previous frames in front, newest kept first when the size bound
    /// (`maximumREDPayloadBytes`) or a header field's range leaves no room for all.
    private func redundantPayload(primary: [UInt8], timestamp: UInt32, distance: Int) -> REDPayload {
        var blocks: [REDPayload.Block] = []
        var size = primary.count + 1
        for entry in history.suffix(distance).reversed() {
            let offset = Int(timestamp &- entry.timestamp)
            size += 4 + entry.payload.count
            guard offset > 0, offset <= REDPayload.maximumTimestampOffset, entry.payload.count <= REDPayload.maximumBlockLength,
                size <= Self.maximumREDPayloadBytes
            else { break }
            blocks.insert(REDPayload.Block(payloadType: RTPPacket.opusPayloadType, timestampOffset: UInt16(offset), payload: entry.payload), at: 0)
        }
        return REDPayload(redundant: blocks, primaryPayloadType: RTPPacket.opusPayloadType, primary: primary)
    }

    /// The most bytes a RED payload may take: older copies that would not fit are left out.
    public static let maximumREDPayloadBytes = 1_000
}

/// What a sender did: frames encoded, packets and payload bytes sent, frames left unsent by DTX.
public struct SenderStatistics: Equatable, Sendable, Codable {
    public var framesEncoded = 0
    public var packetsSent = 0
    public var payloadBytesSent = 0
    public var framesSuppressedByDTX = 0
    /// Receiver reports about this stream taken into account.
    public var receiverReports = 0
    /// Times the encoder settings changed because of them.
    public var adaptations = 0
    /// RTCP datagrams that were malformed or not a receiver report.
    public var rtcpIgnored = 0
    /// Packets sent as RED, and the bytes their redundancy added (headers and copies; included in
    /// `payloadBytesSent`).
    public var redPacketsSent = 0
    public var redundancyBytesSent = 0
}
