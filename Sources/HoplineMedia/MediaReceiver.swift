import HoplineCodec
import HoplineCore

/// The receiving half of a media stream: validates RTP datagrams, feeds a jitter buffer, carries out its
/// playout decisions with the Opus decoder (normal decode, PLC, comfort noise), and renders fixed-size
/// output chunks.
///
/// With `redPayloadType` set (this side offered RED), RFC 2198 RED packets are taken apart: the primary goes
/// in as usual, each older copy through `JitterBuffer.insertRedundant` numbered `sequence - distance` (see
/// `REDPayload`), so whichever copy of a frame arrives first is played and the others are dropped.
///
/// Malformed packets are counted and dropped, never thrown. Not thread-safe: owned by one media thread,
/// which is never the real-time audio callback.
public final class MediaReceiver {
    private var jitterBuffer: any JitterBuffer
    private let decoder: OpusDecoder
    private let payloadType: UInt8
    private let redPayloadType: UInt8?
    private var fifo = SampleFIFO()
    /// Decoded audio before it enters the FIFO; room for the longest frame plus one stretch.
    private var scratch = [Float](repeating: 0, count: OpusDecoder.maxFrameSamples + TimeStretcher.maximumLag)
    private var stretcher = TimeStretcher()
    private var renderedSamples: Int64 = 0
    private let recordsPlayout: Bool
    private let keepsDelaySeries: Bool
    private var intervalDelaySum = 0.0
    private var intervalDelayCount = 0

    public private(set) var reception = ReceptionStatistics()
    public private(set) var counters = ReceiverCounters()
    /// Milliseconds each played packet spent between arrival and the start of its playout (kept only when
    /// created with `keepsDelaySeries`: the lab's reports; a call keeps just the interval mean, in constant
    /// memory).
    public private(set) var bufferDelay = DelaySummary()
    /// One entry per packet played, in order, when created with `recordsPlayout`.
    public private(set) var playoutLog: [PlayoutEvent] = []
    /// Called with each packet as it starts playing (the loopback lab aligns and measures latency from it
    /// as it goes, so nothing per packet is kept).
    public var playoutObserver: ((PlayoutEvent) -> Void)?

    public init(
        jitterBuffer: any JitterBuffer, payloadType: UInt8 = RTPPacket.opusPayloadType, redPayloadType: UInt8? = nil,
        recordsPlayout: Bool = false, keepsDelaySeries: Bool = true
    ) throws {
        self.jitterBuffer = jitterBuffer
        self.payloadType = payloadType
        self.redPayloadType = redPayloadType
        self.recordsPlayout = recordsPlayout
        self.keepsDelaySeries = keepsDelaySeries
        decoder = try OpusDecoder()
    }

    /// Mean buffer delay of the packets played since the last call, ms (nil when none was played).
    public func takeIntervalBufferDelay() -> Double? {
        defer {
            intervalDelaySum = 0
            intervalDelayCount = 0
        }
        return intervalDelayCount > 0 ? intervalDelaySum / Double(intervalDelayCount) : nil
    }

    /// The jitter buffer's own counters (late, duplicates, concealed, ...).
    public var jitterStatistics: JitterBufferStatistics { jitterBuffer.statistics }

    /// The jitter buffer's recorded arrivals and decisions (empty unless it was asked to record them).
    public var jitterTimeline: [JitterBufferEvent] { jitterBuffer.timeline }

    /// Packets now come by another path: the jitter buffer measures delay against it afresh.
    public func pathChanged() { jitterBuffer.pathChanged() }

    /// Samples rendered so far (the output stream's length).
    public var samplesRendered: Int64 { renderedSamples }

    /// Takes one datagram from the network. Anything that is not a decodable Opus RTP packet is counted and dropped.
    public func ingest(_ bytes: [UInt8], arrival: ClockInstant) {
        if RTCPPacket.isRTCP(bytes) {
            if case .senderReport(let report) = try? RTCPPacket(parsing: bytes) {
                reception.noteSenderReport(ntpTimestamp: report.ntpTimestamp, arrival: arrival)
                counters.senderReports += 1
            } else {
                counters.malformed += 1
            }
            return
        }
        let packet: RTPPacket
        do {
            packet = try RTPPacket(parsing: bytes)
        } catch {
            counters.malformed += 1
            return
        }
        if let redPayloadType, packet.payloadType == redPayloadType {
            ingestRED(packet, arrival: arrival)
            return
        }
        guard packet.payloadType == payloadType else {
            counters.unexpectedPayloadType += 1
            return
        }
        let duration: Int
        do {
            duration = try OpusDecoder.sampleCount(of: packet.payload)
        } catch {
            counters.undecodable += 1
            return
        }
        reception.record(packet, payloadBytes: packet.payload.count, arrival: arrival)
        _ = jitterBuffer.insert(packet, duration: duration, arrival: arrival)
    }

    /// A RED packet: the primary as an ordinary packet, then the older copies, oldest first. A malformed RED
    /// payload, a block of another payload type or an undecodable block drops the whole packet (counted).
    private func ingestRED(_ packet: RTPPacket, arrival: ClockInstant) {
        let red: REDPayload
        do {
            red = try REDPayload(parsing: packet.payload)
        } catch {
            counters.malformedRED += 1
            return
        }
        guard red.primaryPayloadType == payloadType, red.redundant.allSatisfy({ $0.payloadType == payloadType }),
            let duration = try? OpusDecoder.sampleCount(of: red.primary),
            let durations = try? red.redundant.map({ try OpusDecoder.sampleCount(of: $0.payload) })
        else {
            counters.malformedRED += 1
            return
        }
        counters.redPacketsReceived += 1
        counters.redundancyBytesReceived += red.overheadBytes
        var primary = packet
        primary.payloadType = payloadType
        primary.payload = red.primary
        reception.record(primary, payloadBytes: primary.payload.count, arrival: arrival)
        _ = jitterBuffer.insert(primary, duration: duration, arrival: arrival)
        for (index, block) in red.redundant.enumerated() {
            let distance = red.redundant.count - index
            let copy = RTPPacket(
                payloadType: payloadType, sequenceNumber: packet.sequenceNumber &- UInt16(distance),
                timestamp: packet.timestamp &- UInt32(block.timestampOffset), ssrc: packet.ssrc, payload: block.payload)
            _ = jitterBuffer.insertRedundant(copy, duration: durations[index], arrival: arrival, distance: distance)
        }
    }

    /// An RTCP receiver report about the stream being received, or nil before any packet arrived.
    public func makeReceiverReport(reporterSSRC: UInt32, now: ClockInstant) -> [UInt8]? {
        guard reception.packetsReceived > 0 else { return nil }
        let block = reception.makeReportBlock(now: now)
        return RTCPPacket.receiverReport(.init(ssrc: reporterSSRC, blocks: [block])).serialized()
    }

    /// Fills `chunk` with the audio that plays from `now` on, asking the jitter buffer for as many decisions
    /// as that takes. Before playout starts the chunk is silence.
    public func render(into chunk: UnsafeMutableBufferPointer<Float>, now: ClockInstant) {
        while fifo.count < chunk.count {
            // Decisions are taken for the moment their audio will start playing: after what the FIFO holds.
            let playoutStart = now.advanced(byNanoseconds: Int64(fifo.count) * 1_000_000_000 / 48_000)
            let operation = jitterBuffer.nextOperation(now: playoutStart)
            if case .waiting = operation { break }
            execute(operation, playoutStart: playoutStart)
        }
        if fifo.count >= chunk.count {
            fifo.pop(into: chunk)
        } else {
            // Still waiting for the first packet: silence, and nothing half-played is lost.
            for index in chunk.indices { chunk[index] = 0 }
            counters.silentChunks += 1
        }
        renderedSamples += Int64(chunk.count)
    }

    private func execute(_ operation: PlayoutOperation, playoutStart: ClockInstant) {
        let outputIndex = renderedSamples + Int64(fifo.count)
        var produced: Int
        switch operation {
        case .waiting:
            return
        case .normal(let buffered), .merge(let buffered), .accelerate(let buffered, _), .preemptiveExpand(let buffered, _):
            produced = decode(buffered)
            let decoded = produced
            if case .accelerate(_, let limit) = operation {
                produced = scratch.withUnsafeMutableBufferPointer { stretcher.accelerate($0, count: decoded, maximumSamples: limit) }
            } else if case .preemptiveExpand(_, let limit) = operation {
                produced = scratch.withUnsafeMutableBufferPointer { stretcher.expand($0, count: decoded, maximumSamples: limit) }
            }
            if produced != decoded { jitterBuffer.didStretch(bySamples: produced - decoded) }
            let delay = playoutStart.milliseconds(since: buffered.arrival)
            if keepsDelaySeries { bufferDelay.add(delay) }
            intervalDelaySum += delay
            intervalDelayCount += 1
            if recordsPlayout || playoutObserver != nil {
                let event = PlayoutEvent(
                    extendedTimestamp: buffered.extendedTimestamp, rtpTimestamp: buffered.packet.timestamp,
                    arrival: buffered.arrival, playoutStart: playoutStart, outputSampleIndex: outputIndex)
                if recordsPlayout { playoutLog.append(event) }
                playoutObserver?(event)
            }
        case .recoverFromFEC(let next, let samples):
            let length = min(samples, OpusDecoder.maxFrameSamples)
            do {
                let result = try scratch.withUnsafeMutableBufferPointer {
                    try decoder.recoverFromFECCheckingPresence(of: next.packet.payload, samples: length, into: $0)
                }
                produced = result.count
                if result.carriedFEC { counters.framesRecoveredByFEC += 1 } else { counters.fecUnavailable += 1 }
            } catch {
                produced = conceal(samples: length)
                counters.fecUnavailable += 1
            }
        case .conceal(let samples), .comfortNoise(let samples):
            // libopus's PLC turns into comfort noise by itself after a DTX packet; the jitter buffer counts which.
            produced = conceal(samples: samples)
        }
        scratch.withUnsafeBufferPointer { fifo.append(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
    }

    /// Decodes a packet into `scratch`; an undecodable payload is counted and concealed instead.
    private func decode(_ buffered: BufferedPacket) -> Int {
        do {
            let count = try scratch.withUnsafeMutableBufferPointer {
                try decoder.decode(buffered.packet.payload, into: UnsafeMutableBufferPointer(rebasing: $0[0..<OpusDecoder.maxFrameSamples]))
            }
            counters.framesDecoded += 1
            return count
        } catch {
            counters.undecodable += 1
            return conceal(samples: buffered.duration)
        }
    }

    /// PLC (or comfort noise after DTX) for `samples`; on a decoder error, silence of the same length.
    private func conceal(samples: Int) -> Int {
        let length = min(samples, OpusDecoder.maxFrameSamples)
        do {
            return try scratch.withUnsafeMutableBufferPointer { try decoder.conceal(samples: length, into: $0) }
        } catch {
            for index in 0..<length { scratch[index] = 0 }
            return length
        }
    }
}

/// What a receiver counted beyond the jitter buffer: bad packets of each kind and what playout produced.
public struct ReceiverCounters: Equatable, Sendable, Codable {
    /// Datagrams that were not valid RTP.
    public var malformed = 0
    /// RTP packets with a payload type other than the negotiated one.
    public var unexpectedPayloadType = 0
    /// RED packets whose payload did not parse (RFC 2198), or carried a block that is not decodable Opus.
    public var malformedRED = 0
    /// RED packets taken apart, and the bytes of redundancy they carried (headers and copies).
    public var redPacketsReceived = 0
    public var redundancyBytesReceived = 0
    /// Packets whose Opus payload libopus rejected.
    public var undecodable = 0
    public var framesDecoded = 0
    /// Lost frames really rebuilt from the next packet's in-band FEC.
    public var framesRecoveredByFEC = 0
    /// FEC recoveries the jitter buffer asked for where the next packet carried no FEC (libopus concealed).
    public var fecUnavailable = 0
    /// RTCP sender reports received (for RTT echo).
    public var senderReports = 0
    /// Output chunks rendered as silence because playout had not started.
    public var silentChunks = 0
}

/// When one packet was played: where its audio starts in the output stream and on the receiver's clock.
public struct PlayoutEvent: Equatable, Sendable {
    public var extendedTimestamp: Int64
    public var rtpTimestamp: UInt32
    public var arrival: ClockInstant
    public var playoutStart: ClockInstant
    /// Index of the packet's first sample in the rendered output stream.
    public var outputSampleIndex: Int64
}
