import HoplineCodec
import HoplineCore
import HoplineMedia
import HoplineNet
import NIOPosix

/// Runs a complete call pipeline inside one process: a sending node and a receiving node, each with its own
/// real UDP socket on 127.0.0.1, the sender encoding 48 kHz input frame by frame into Opus/RTP and the
/// receiver playing it out through its jitter buffer in 10 ms device periods. Between them, an optional
/// impairment model decides each media packet's fate (loss, delay, duplication); RTCP sender and receiver
/// reports travel alongside on a clean path and the sender adapts to them.
///
/// One driver thread steps through the run's events in time order (`LabEvent`). In real-time pacing it
/// sleeps until each event on the monotonic clock; in fast pacing a virtual clock jumps to it, and the
/// driver waits for each datagram to come back through its socket before moving on, so the same input
/// (and impairment seed) always gives the same output and report.
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
        guard options.receiverReportIntervalMilliseconds >= 0 else {
            throw LoopbackError.invalidOption("receiver report interval \(options.receiverReportIntervalMilliseconds) ms")
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
        let receiverInbox = DatagramInbox()
        let senderInbox = DatagramInbox()
        let loopback = try PeerAddress(parsing: "127.0.0.1:0")
        let receiverSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { receiverInbox.push($0) }
        defer { receiverSocket.close() }
        let senderSocket = try UDPTransport.bind(to: loopback, group: group, clock: clock) { senderInbox.push($0) }
        defer { senderSocket.close() }

        var random = SystemRandomNumberGenerator()
        let initialTimestamp = UInt32.random(in: .min ... .max, using: &random)
        let sender = try MediaSender(
            settings: options.codec, ssrc: UInt32.random(in: 1 ... .max, using: &random),
            initialSequence: MediaSender.randomInitialSequence(using: &random), initialTimestamp: initialTimestamp,
            redPayloadType: options.redundantAudio ? REDPayload.payloadType : nil)
        let receiver = try MediaReceiver(
            jitterBuffer: JitterBufferChoice.make(
                mode: options.jitterBuffer, targetMilliseconds: options.jitterTargetMilliseconds,
                playoutPeriodMilliseconds: options.playoutChunkMilliseconds, recordsTimeline: options.recordsTimeline),
            redPayloadType: options.redundantAudio ? REDPayload.payloadType : nil, recordsPlayout: true)
        let frameCount = (input.count + sender.lookahead + options.codec.frameSamples - 1) / options.codec.frameSamples

        let session = LabSession(
            options: options, clock: clock, input: input, frameCount: frameCount, sender: sender, receiver: receiver,
            forward: LabLink(path: DirectPath(transport: senderSocket, remote: receiverSocket.localAddress), inbox: receiverInbox),
            backward: LabLink(path: DirectPath(transport: receiverSocket, remote: senderSocket.localAddress), inbox: senderInbox),
            reporterSSRC: UInt32.random(in: 1 ... .max, using: &random))
        try session.run(until: { session in
            guard let start = session.alignedStart(initialTimestamp: initialTimestamp) else { return false }
            return start + Int64(sender.lookahead) + Int64(input.count) <= Int64(session.stream.count)
        }, progress: progress)

        let output = LoopbackAlignment.output(
            stream: session.stream, start: session.alignedStart(initialTimestamp: initialTimestamp),
            lookahead: sender.lookahead, length: input.count)
        let report = LoopbackReportBuilder(options: options).report(
            audioSamples: input.count, sender: sender, receiver: receiver,
            latency: LoopbackAlignment.endToEndLatency(
                receiver.playoutLog, initialTimestamp: initialTimestamp, origin: session.origin, lookahead: sender.lookahead,
                senderClockSkewPPM: options.impairment?.skewPartsPerMillion ?? 0),
            network: session.networkCounters,
            cpuSeconds: ProcessCPUTime.seconds() - cpuStart, wallSeconds: wallClock.now().seconds - wallStart.seconds)
        return LoopbackOutcome(
            output: output, report: report, lookahead: sender.lookahead, timeline: receiver.jitterTimeline,
            origin: session.origin)
    }
}

/// What a loopback run produced: the received audio on the input's timeline (48 kHz, same length), the
/// report, and (when recorded) the jitter buffer's timeline for plotting.
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

    public var description: String {
        switch self {
        case .emptyInput: return "the input has no audio samples"
        case .invalidOption(let what): return "invalid \(what)"
        case .socketStalled(let count):
            return "loopback socket stalled: \(count) datagram(s) did not come back within 10 s"
        }
    }
}
