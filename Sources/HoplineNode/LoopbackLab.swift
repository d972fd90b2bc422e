import HoplineCodec
import HoplineCore
import HoplineMedia
import HoplineNet
import NIOPosix

/// Runs a complete call inside one process through the same media engine a call runs: two `MediaSession`s
/// (Opus/RTP, SRTP keyed by a real Noise IK handshake between two throwaway identities, SRTCP sender and
/// receiver reports with the sender's adaptation, jitter buffer and decoder), each with its own real UDP
/// socket on 127.0.0.1. The caller sends the 48 kHz input frame by frame; the callee plays it out in device
/// periods. Between them, an optional impairment model decides each media packet's fate (loss, delay,
/// duplication); RTCP travels alongside on a clean path.
///
/// One driver thread (`LabSession`) steps through the run's events in time order. In real-time pacing it
/// sleeps until each event on the monotonic clock; in fast pacing a virtual clock jumps to it, and the
/// driver waits for each datagram to come back through its socket before moving on, so the same input
/// (and impairment seed) always gives the same output and report.
///
/// Input and output stream (`LoopbackInput`, `LoopbackOutput`): nothing kept grows with the input except
/// the per-packet delays behind the report's percentiles (16 bytes a packet) and, with `recordsTimeline`,
/// the jitter buffer's timeline.
public final class LoopbackLab {
    public let options: LoopbackOptions
    /// Tests look at the finished run's sessions and output sink here (the engine a call runs, bounded buffers).
    var finishedRunObserver: ((LabSession, LabAlignedSink) -> Void)?

    public init(options: LoopbackOptions) throws {
        try options.codec.validate()
        guard options.jitterTargetMilliseconds >= 0, options.jitterTargetMilliseconds <= 1_000 else {
            throw LoopbackError.invalidOption("jitter target \(options.jitterTargetMilliseconds) ms (expected 0...1000)")
        }
        guard options.playoutChunkMilliseconds > 0, options.playoutChunkMilliseconds <= 60 else {
            throw LoopbackError.invalidOption("playout period \(options.playoutChunkMilliseconds) ms (expected 1...60)")
        }
        guard options.receiverReportIntervalMilliseconds >= 0 else {
            throw LoopbackError.invalidOption("receiver report interval \(options.receiverReportIntervalMilliseconds) ms")
        }
        self.options = options
    }

    /// Sends `input` (48 kHz mono) through the pipeline and returns the received audio in the outcome.
    public func run(input: [Float], progress: ((Double) -> Void)? = nil) throws -> LoopbackOutcome {
        let output = ArrayLoopbackOutput()
        var outcome = try run(input: ArrayLoopbackInput(input), output: output, progress: progress)
        outcome.output = output.samples
        return outcome
    }

    /// Streams `input` through the pipeline into `output` (exactly `input.sampleCount` samples, then
    /// `finish()`); the outcome's `output` is empty. `progress` gets the fraction done, now and then.
    public func run(
        input: LoopbackInput, output: LoopbackOutput, progress: ((Double) -> Void)? = nil
    ) throws -> LoopbackOutcome {
        guard input.sampleCount > 0 else { throw LoopbackError.emptyInput }
        let clock: any MediaClock = options.pacing == .fast ? VirtualClock() : MonotonicClock()
        let wallClock = MonotonicClock()
        let wallStart = wallClock.now()
        let cpuStart = ProcessCPUTime.seconds()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let calleeInbox = DatagramInbox()
        let callerInbox = DatagramInbox()
        let loopback = try PeerAddress(parsing: "127.0.0.1:0")
        let calleeSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { calleeInbox.push($0) }
        defer { calleeSocket.close() }
        let callerSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { callerInbox.push($0) }
        defer { callerSocket.close() }

        let origin = clock.now()
        let ciphers = try LabKeys.ciphers()
        let frameNanoseconds = Int64(options.codec.frameMilliseconds) * 1_000_000
        let chunkNanoseconds = Int64(options.playoutChunkMilliseconds) * 1_000_000
        // The caller's first frame goes out when it has been captured (one frame in); the callee's playout
        // periods run 1 ms after capture boundaries, so a datagram sent on a frame boundary (tens of
        // microseconds through the loopback socket) is in the inbox when the period that can play it starts.
        let callerStart = origin.advanced(byNanoseconds: frameNanoseconds)
        let calleeStart = origin.advanced(byNanoseconds: 1_000_000 - chunkNanoseconds)
        let source = LabFrameSource(input: input)
        // The caller receives no media: its playout is only the session's idle rendering, to no sink.
        let caller = try MediaSession(
            settings: options.codec,
            jitterBuffer: JitterBufferChoice.make(
                mode: options.jitterBuffer, targetMilliseconds: options.jitterTargetMilliseconds,
                playoutPeriodMilliseconds: options.playoutChunkMilliseconds),
            playoutPeriodMilliseconds: options.playoutChunkMilliseconds, cipher: ciphers.caller, source: source,
            sinks: [], start: callerStart, sending: true, sendsRED: options.redundantAudio,
            reportIntervalMilliseconds: options.receiverReportIntervalMilliseconds)
        let lookahead = caller.sender.lookahead
        // The input, then enough frames to flush the encoder's look-ahead.
        source.frameCount = (input.sampleCount + lookahead + options.codec.frameSamples - 1) / options.codec.frameSamples
        let sink = LabAlignedSink(output: output, length: input.sampleCount, lookahead: lookahead)
        // The callee sends no media (a clock-paced source is not read while `sending` is false).
        let callee = try MediaSession(
            settings: options.codec,
            jitterBuffer: JitterBufferChoice.make(
                mode: options.jitterBuffer, targetMilliseconds: options.jitterTargetMilliseconds,
                playoutPeriodMilliseconds: options.playoutChunkMilliseconds, recordsTimeline: options.recordsTimeline),
            playoutPeriodMilliseconds: options.playoutChunkMilliseconds, cipher: ciphers.callee,
            source: LabFrameSource(input: ArrayLoopbackInput([])), sinks: [sink], start: calleeStart,
            sending: false, acceptsRED: options.redundantAudio,
            reportIntervalMilliseconds: options.receiverReportIntervalMilliseconds, keepsDelaySeries: true)
        let initialTimestamp = caller.sender.nextTimestamp

        var latency = DelaySummary()
        let skew = 1 + (options.impairment?.skewPartsPerMillion ?? 0) / 1_000_000
        callee.receiver.playoutObserver = { event in
            // From the capture of the packet's first sample (on the sender's possibly skewed clock) to that
            // sample leaving the decoder's look-ahead: frame + network + buffer + codec delay.
            let inputIndex = Int64(event.rtpTimestamp &- initialTimestamp)
            sink.align(inputStartInStream: event.outputSampleIndex - inputIndex)
            let captured = origin.advanced(byNanoseconds: Int64(Double(inputIndex) * 1_000_000_000 / 48_000 * skew))
            latency.add(event.playoutStart.milliseconds(since: captured) + Double(lookahead) / 48)
        }
        defer { callee.receiver.playoutObserver = nil }

        let session = LabSession(
            options: options, clock: clock, origin: origin, caller: caller, callee: callee, source: source,
            forward: LabLink(path: DirectPath(transport: callerSocket, remote: calleeSocket.localAddress), inbox: calleeInbox),
            backward: LabLink(path: DirectPath(transport: calleeSocket, remote: callerSocket.localAddress), inbox: callerInbox))
        try session.run(until: { sink.isComplete || sink.failure != nil }, progress: progress)
        try sink.finish()
        guard caller.protectFailures == 0, session.refused == 0 else {
            throw LoopbackError.engineFailure(protectFailures: caller.protectFailures, refused: session.refused)
        }

        finishedRunObserver?(session, sink)
        let report = LoopbackReportBuilder(options: options).report(
            audioSamples: input.sampleCount, sender: caller.sender, receiver: callee.receiver, latency: latency,
            network: session.networkCounters, mediaBytesSent: session.mediaBytesSent, replayed: session.replayed,
            cpuSeconds: ProcessCPUTime.seconds() - cpuStart, wallSeconds: wallClock.now().seconds - wallStart.seconds)
        return LoopbackOutcome(
            output: [], report: report, lookahead: lookahead, timeline: callee.receiver.jitterTimeline, origin: origin)
    }
}

/// What a loopback run produced: the received audio on the input's timeline (48 kHz, same length; empty
/// when the run streamed it to a `LoopbackOutput`), the report, and (when recorded) the jitter buffer's timeline for plotting.
public struct LoopbackOutcome: Sendable {
    public var output: [Float]
    public var report: LoopbackReport
    /// The codec look-ahead that was compensated, in 48 kHz samples.
    public var lookahead: Int
    public var timeline: [JitterBufferEvent]
    /// The lab clock's instant at the start of the run (timeline times are on the same clock).
    public var origin: ClockInstant
}

/// Why a loopback run could not start or finish.
public enum LoopbackError: Error, Equatable, CustomStringConvertible {
    case emptyInput
    case invalidOption(String)
    case socketStalled(waitingFor: Int)
    /// The media engine failed to protect outgoing packets or refused incoming ones (keys out of step).
    case engineFailure(protectFailures: Int, refused: Int)

    public var description: String {
        switch self {
        case .emptyInput: return "the input has no audio samples"
        case .invalidOption(let what): return "invalid \(what)"
        case .socketStalled(let count):
            return "loopback socket stalled: \(count) datagram(s) did not come back within 10 s"
        case .engineFailure(let protectFailures, let refused):
            return "media engine failure: \(protectFailures) packet(s) could not be protected, \(refused) refused"
        }
    }
}
