import HoplineCodec
import HoplineCore

/// The sending half of a media stream: encodes 48 kHz mono frames with Opus and wraps each packet in RTP
/// (RFC 7587): sequence numbers and timestamps from random starting points, the marker bit on the first
/// packet of every talkspurt, nothing sent for frames the encoder marks as DTX silence.
///
/// Not thread-safe: owned by the thread that captures (or reads) audio.
public final class MediaSender {
    public let ssrc: UInt32
    private let encoder: OpusEncoder
    private var sequenceNumber: UInt16
    private var timestamp: UInt32
    private var inTalkspurt = false
    private var packetBuffer: [UInt8] = []
    public private(set) var statistics = SenderStatistics()
    /// Reacts to receiver reports (FEC planning, bitrate); see `SenderAdaptation`.
    public private(set) var adaptation: SenderAdaptation

    public init(settings: OpusSettings, ssrc: UInt32, initialSequence: UInt16, initialTimestamp: UInt32) throws {
        encoder = try OpusEncoder(settings: settings)
        adaptation = SenderAdaptation(base: settings)
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
        let packet = RTPPacket(
            marker: !inTalkspurt, sequenceNumber: sequenceNumber, timestamp: frameTimestamp, ssrc: ssrc,
            payload: packetBuffer)
        inTalkspurt = true
        sequenceNumber &+= 1
        statistics.packetsSent += 1
        statistics.payloadBytesSent += length
        return packet
    }
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
}
