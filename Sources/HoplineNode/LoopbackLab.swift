import HoplineCodec
import HoplineCore
import HoplineMedia
import HoplineNet
import NIOPosix

/// Runs a complete call pipeline inside one process: a sending node and a receiving node, each with its own
/// real UDP socket on 127.0.0.1, the sender encoding 48 kHz input frame by frame into Opus/RTP and the
/// receiver playing it out through its jitter buffer in 10 ms device periods.
///
/// One driver thread steps through the run's events in time order (frame captured, playout period due).
/// In real-time pacing it sleeps until each event on the monotonic clock; in fast pacing a virtual clock
/// jumps to it, and the driver waits for each datagram to come back through the socket before moving on, so
/// the same input always gives the same output and report.
public final class LoopbackLab {
    public let options: LoopbackOptions

    public init(options: LoopbackOptions) throws {
        try options.codec.validate()
        guard options.jitterTargetMilliseconds >= 0, options.jitterTargetMilliseconds <= 1_000 else {
            throw LoopbackError.invalidOption("jitter target \(options.jitterTargetMilliseconds) ms (expected 0...1000)")
        }
        guard options.playoutChunkMilliseconds > 0, options.playoutChunkMilliseconds <= 60 else {
            throw LoopbackError.invalidOption("playout period \(options.playoutChunkMilliseconds) ms (expected 1...60)")
        }
        self.options = options
    }

    /// Sends `input` (48 kHz mono) through the pipeline. `progress` gets the fraction done, now and then.
    public func run(input: [Float], progress: ((Double) -> Void)? = nil) throws -> LoopbackOutcome {
        guard !input.isEmpty else { throw LoopbackError.emptyInput }
        let clock: any MediaClock = options.pacing == .fast ? VirtualClock() : MonotonicClock()
        let wallClock = MonotonicClock()
        let wallStart = wallClock.now()
        let cpuStart = ProcessCPUTime.seconds()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let inbox = DatagramInbox()
        let loopback = try PeerAddress(parsing: "127.0.0.1:0")
        let receiverSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { inbox.push($0) }
        defer { receiverSocket.close() }
        let senderSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { _ in }
        defer { senderSocket.close() }
        let path: any MediaPath = DirectPath(transport: senderSocket, remote: receiverSocket.localAddress)

        var random = SystemRandomNumberGenerator()
        let initialTimestamp = UInt32.random(in: .min ... .max, using: &random)
        let sender = try MediaSender(
            settings: options.codec, ssrc: UInt32.random(in: 1 ... .max, using: &random),
            initialSequence: UInt16.random(in: .min ... .max, using: &random), initialTimestamp: initialTimestamp)
        let receiver = try MediaReceiver(
            jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: options.jitterTargetMilliseconds),
            recordsPlayout: true)

        let frameSamples = options.codec.frameSamples
        let chunkSamples = options.playoutChunkMilliseconds * 48
        // One more frame's worth past the input where needed, so the encoder's look-ahead is flushed out and
        // the last input samples are decoded, not concealed.
        let frameCount = (input.count + sender.lookahead + frameSamples - 1) / frameSamples
        let frameNanoseconds = Int64(options.codec.frameMilliseconds) * 1_000_000
        let chunkNanoseconds = Int64(options.playoutChunkMilliseconds) * 1_000_000
        let origin = clock.now()
        // Playout periods run 1 ms after capture boundaries: a datagram sent on a frame boundary (tens of
        // microseconds through the loopback socket) is then in the inbox when the period that can play it starts.
        let playoutPhase: Int64 = 1_000_000
        // Stop once the aligned output is complete, or this long after the last frame whatever happens.
        let drainLimit = Int64(2_000_000_000) + Int64(options.jitterTargetMilliseconds * 1_000_000)

        var frame = [Float](repeating: 0, count: frameSamples)
        var chunk = [Float](repeating: 0, count: chunkSamples)
        var stream: [Float] = []
        stream.reserveCapacity(input.count + 48_000)
        var nextFrame = 0
        var nextTick: Int64 = 0
        var datagramsSent = 0
        var datagramsIngested = 0
        var lastProgress = -1

        /// Encodes frame `index` of the input (zero-padded past its end); nil when DTX sends nothing.
        func encode(_ index: Int) throws -> RTPPacket? {
            let start = index * frameSamples
            let available = max(0, min(frameSamples, input.count - start))
            for offset in 0..<frameSamples { frame[offset] = offset < available ? input[start + offset] : 0 }
            return try frame.withUnsafeBufferPointer { try sender.packetize(frame: $0) }
        }
        var preEncoded: RTPPacket??

        func ingest(_ datagrams: [InboundDatagram]) {
            for datagram in datagrams { receiver.ingest(datagram.bytes, arrival: datagram.arrival) }
            datagramsIngested += datagrams.count
        }

        while true {
            let frameDue = origin.advanced(byNanoseconds: Int64(nextFrame + 1) * frameNanoseconds)
            let tickDue = origin.advanced(byNanoseconds: nextTick * chunkNanoseconds + playoutPhase)
            if nextFrame < frameCount && frameDue <= tickDue {
                clock.sleep(until: frameDue)
                let packet = try preEncoded ?? encode(nextFrame)
                preEncoded = nil
                if let packet {
                    path.send(packet.serialized())
                    datagramsSent += 1
                }
                nextFrame += 1
                if options.pacing == .fast {
                    // Encode the next frame while this datagram crosses the socket (on a virtual clock encoding
                    // takes no time, so results are unchanged), then wait: the datagram must be through before
                    // virtual time moves on.
                    if nextFrame < frameCount { preEncoded = .some(try encode(nextFrame)) }
                    while datagramsIngested < datagramsSent {
                        let batch = inbox.waitAndDrain(timeoutNanoseconds: 2_000_000_000)
                        if batch.isEmpty { throw LoopbackError.socketStalled(waitingFor: datagramsSent - datagramsIngested) }
                        ingest(batch)
                    }
                }
                let percent = nextFrame * 100 / frameCount
                if percent != lastProgress {
                    lastProgress = percent
                    progress?(Double(nextFrame) / Double(frameCount))
                }
                continue
            }
            clock.sleep(until: tickDue)
            ingest(inbox.drain())
            chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: tickDue) }
            stream.append(contentsOf: chunk)
            nextTick += 1
            if nextFrame == frameCount {
                if let end = alignedStart(receiver.playoutLog, initialTimestamp), end + Int64(sender.lookahead) + Int64(input.count) <= Int64(stream.count) {
                    break
                }
                if tickDue.nanoseconds - origin.nanoseconds > Int64(frameCount) * frameNanoseconds + drainLimit { break }
            }
        }
        ingest(inbox.drain())

        let output = alignedOutput(
            stream: stream, playoutLog: receiver.playoutLog, initialTimestamp: initialTimestamp,
            lookahead: sender.lookahead, length: input.count)
        let latency = endToEndLatency(
            receiver.playoutLog, initialTimestamp: initialTimestamp, origin: origin, lookahead: sender.lookahead)
        let report = makeReport(
            audioSamples: input.count, sender: sender, receiver: receiver, latency: latency,
            cpuSeconds: ProcessCPUTime.seconds() - cpuStart, wallSeconds: wallClock.now().seconds - wallStart.seconds)
        return LoopbackOutcome(output: output, report: report, lookahead: sender.lookahead)
    }

    /// Where input sample 0 sits in the rendered stream, from the first played packet.
    private func alignedStart(_ log: [PlayoutEvent], _ initialTimestamp: UInt32) -> Int64? {
        guard let first = log.first else { return nil }
        return first.outputSampleIndex - Int64(first.rtpTimestamp &- initialTimestamp)
    }

    /// The rendered stream cut to the input's timeline: shifted by the playout start and the codec look-ahead,
    /// zero-padded where nothing was played, exactly `length` samples.
    private func alignedOutput(
        stream: [Float], playoutLog: [PlayoutEvent], initialTimestamp: UInt32, lookahead: Int, length: Int
    ) -> [Float] {
        guard let start = alignedStart(playoutLog, initialTimestamp) else { return [Float](repeating: 0, count: length) }
        let offset = Int(start) + lookahead
        return (0..<length).map { index in
            let source = offset + index
            return source >= 0 && source < stream.count ? stream[source] : 0
        }
    }

    /// For each played packet: from the capture of its first sample to that sample leaving the decoder's
    /// look-ahead, i.e. frame duration + network + buffer + codec delay, in milliseconds.
    private func endToEndLatency(
        _ log: [PlayoutEvent], initialTimestamp: UInt32, origin: ClockInstant, lookahead: Int
    ) -> DelaySummary {
        var summary = DelaySummary()
        for event in log {
            let inputIndex = Int64(event.rtpTimestamp &- initialTimestamp)
            let captured = origin.advanced(byNanoseconds: inputIndex * 1_000_000_000 / 48_000)
            summary.add(event.playoutStart.milliseconds(since: captured) + Double(lookahead) / 48)
        }
        return summary
    }

    private func makeReport(
        audioSamples: Int, sender: MediaSender, receiver: MediaReceiver, latency: DelaySummary,
        cpuSeconds: Double, wallSeconds: Double
    ) -> LoopbackReport {
        let audioSeconds = Double(audioSamples) / 48_000
        let jitter = receiver.jitterStatistics
        let counters = receiver.counters
        let sent = sender.statistics
        func summary(_ values: DelaySummary) -> LoopbackReport.Summary {
            LoopbackReport.Summary(mean: values.mean, p95: values.percentile(95), max: values.maximum)
        }
        return LoopbackReport(
            audioSeconds: audioSeconds,
            pacing: options.pacing.rawValue,
            codec: .init(
                bitrate: options.codec.bitrate, frameMs: options.codec.frameMilliseconds,
                complexity: options.codec.complexity, fec: options.codec.forwardErrorCorrection,
                dtx: options.codec.discontinuousTransmission, jitterTargetMs: options.jitterTargetMilliseconds),
            frames: .init(
                encoded: sent.framesEncoded, sent: sent.packetsSent, dtxSuppressed: sent.framesSuppressedByDTX,
                received: jitter.inserted, late: jitter.late, lost: max(0, receiver.reception.cumulativeLost),
                duplicates: jitter.duplicates,
                malformed: counters.malformed + counters.unexpectedPayloadType + counters.undecodable,
                concealed: jitter.concealed, comfortNoise: jitter.comfortNoise,
                decoded: counters.framesDecoded),
            jitterBufferDelayMs: summary(receiver.bufferDelay),
            endToEndLatencyMs: summary(latency),
            bitrate: .init(
                payloadKbps: Double(sent.payloadBytesSent) * 8 / audioSeconds / 1000,
                onWireKbps: Double(sent.payloadBytesSent + sent.packetsSent * 40) * 8 / audioSeconds / 1000),
            cpu: .init(
                cpuSeconds: cpuSeconds, wallSeconds: wallSeconds,
                realTimeFactor: wallSeconds > 0 ? audioSeconds / wallSeconds : 0,
                coreFraction: cpuSeconds / audioSeconds))
    }
}

/// What a loopback run produced: the received audio on the input's timeline (48 kHz, same length) and the report.
public struct LoopbackOutcome: Sendable {
    public var output: [Float]
    public var report: LoopbackReport
    /// The codec look-ahead that was compensated, in 48 kHz samples.
    public var lookahead: Int
}

/// Why a loopback run could not start or finish.
public enum LoopbackError: Error, Equatable, CustomStringConvertible {
    case emptyInput
    case invalidOption(String)
    case socketStalled(waitingFor: Int)

    public var description: String {
        switch self {
        case .emptyInput: return "the input has no audio samples"
        case .invalidOption(let what): return "invalid \(what)"
        case .socketStalled(let count):
            return "loopback socket stalled: \(count) datagram(s) did not come back within 2 s"
        }
    }
}
