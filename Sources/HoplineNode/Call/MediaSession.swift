import HoplineCodec
import HoplineCore
import HoplineMedia
import HoplineNet

/// One call's media, both directions, driven by the node's loop thread: capture frames from the source ->
/// Opus/RTP (`MediaSender`) -> SRTP -> the path; and SRTP from the socket -> RTP -> jitter buffer and decoder
/// (`MediaReceiver`) -> fixed-size playout chunks -> the sinks.
///
/// Not thread-safe and not real-time: the loop thread calls `ingest` and `tick`; live devices are reached
/// only through their lock-free rings (see `LiveAudioEndpoints`).
public final class MediaSession {
    public let settings: OpusSettings
    let cipher: any MediaCipher
    private let source: any CallAudioSource
    private let sinks: [any CallAudioSink]
    let sender: MediaSender
    let receiver: MediaReceiver
    private let frameSamples: Int
    private let chunkSamples: Int
    private let frameNanoseconds: Int64
    private let chunkNanoseconds: Int64
    private var frame: [Float]
    private var chunk: [Float]
    private var nextFrameDue: ClockInstant
    private var nextChunkDue: ClockInstant
    /// Whether outgoing media flows yet (the responder waits for proof that the initiator is live).
    public private(set) var sending: Bool
    public private(set) var inputLevel = LevelMeter()
    public private(set) var outputLevel = LevelMeter()
    public private(set) var firstPlayedAt: ClockInstant?
    /// When the first playout chunk is due: the first sample handed to the sinks (a recording's sample 0)
    /// leaves at this instant, sample s at this + s / 48 kHz (the chunk deadlines, however late the loop runs).
    public let playoutOrigin: ClockInstant
    /// When outgoing media started: the first frame's send instant (a file's frame n goes out at this + n
    /// frames); nil until sending may start.
    public private(set) var sendOrigin: ClockInstant?
    private var lastExpected = 0
    private var lastReceived = 0
    public private(set) var protectFailures = 0
    /// RTCP: when reports are due, what was sent and received (see `MediaSession+RTCP.swift`).
    var reports: CallReports

    /// `reportIntervalMilliseconds`: RTCP reports every so often (0: none; the lab's `--rtcp-interval-ms`).
    /// `keepsDelaySeries`: keep every played packet's buffer delay for percentiles (the lab's report).
    public init(
        settings: OpusSettings, jitterBuffer: any JitterBuffer, playoutPeriodMilliseconds: Int,
        cipher: any MediaCipher, source: any CallAudioSource, sinks: [any CallAudioSink], start: ClockInstant,
        sending: Bool, sendsRED: Bool = false, acceptsRED: Bool = false, reportIntervalMilliseconds: Int = 1_000,
        keepsDelaySeries: Bool = false
    ) throws {
        self.settings = settings
        self.cipher = cipher
        self.source = source
        self.sinks = sinks
        self.sending = sending
        var random = SystemRandomNumberGenerator()
        sender = try MediaSender(
            settings: settings, ssrc: UInt32.random(in: 1 ... .max, using: &random),
            // Below 32768, so the first wrap comes minutes in (see SRTPSession's rollover hazard).
            initialSequence: UInt16.random(in: 0...32_767, using: &random),
            initialTimestamp: UInt32.random(in: .min ... .max, using: &random),
            redPayloadType: sendsRED ? REDPayload.payloadType : nil)
        // A call can last for hours: no per-packet series, only what the status needs (the lab keeps the
        // buffer delays for its report's percentiles: 8 bytes a packet).
        receiver = try MediaReceiver(
            jitterBuffer: jitterBuffer, redPayloadType: acceptsRED ? REDPayload.payloadType : nil,
            keepsDelaySeries: keepsDelaySeries)
        frameSamples = settings.frameSamples
        chunkSamples = playoutPeriodMilliseconds * 48
        frameNanoseconds = Int64(settings.frameMilliseconds) * 1_000_000
        chunkNanoseconds = Int64(playoutPeriodMilliseconds) * 1_000_000
        frame = [Float](repeating: 0, count: frameSamples)
        chunk = [Float](repeating: 0, count: chunkSamples)
        // The first frame goes out at once (a file has it ready); playout starts on the next period.
        nextFrameDue = start
        nextChunkDue = start.advanced(byNanoseconds: chunkNanoseconds)
        playoutOrigin = nextChunkDue
        sendOrigin = sending ? start : nil
        reports = CallReports(start: start, intervalNanoseconds: Int64(reportIntervalMilliseconds) * 1_000_000)
    }

    /// Lets outgoing media flow from `now` on, the first frame at once.
    public func startSending(now: ClockInstant) {
        guard !sending else { return }
        sending = true
        nextFrameDue = now
        sendOrigin = now
    }

    /// The call moved to another path: the receive side's latency may step.
    public func pathChanged() { receiver.pathChanged() }

    public var senderStatistics: SenderStatistics { sender.statistics }
    /// Where received audio goes (recording, speaker).
    public var sinkList: [any CallAudioSink] { sinks }
    public var reception: ReceptionStatistics { receiver.reception }
    public var jitterStatistics: JitterBufferStatistics { receiver.jitterStatistics }
    /// The encoder's look-ahead, ms (part of the mouth-to-ear delay).
    public var lookaheadMilliseconds: Double { Double(sender.lookahead) / 48 }

    /// Takes one SRTP datagram; returns how it went so the node can count refusals and note the peer is live.
    public func ingest(_ bytes: [UInt8], arrival: ClockInstant) -> Result<Void, MediaCipherRejection> {
        let rtp: [UInt8]
        do {
            rtp = try cipher.unprotect(bytes)
        } catch {
            return .failure(error)
        }
        receiver.ingest(rtp, arrival: arrival)
        return .success(())
    }

    /// Does whatever is due at `now`: send captured frames, render playout chunks. `send` puts a datagram
    /// on the call's path.
    public func tick(now: ClockInstant, send: ([UInt8]) -> Void) {
        if source.isClockPaced {
            while nextFrameDue <= now {
                sendFrame(send: send)
                nextFrameDue = nextFrameDue.advanced(byNanoseconds: frameNanoseconds)
            }
        } else {
            // A live microphone: send whenever the device has delivered a whole frame.
            while sendFrame(send: send) {}
        }
        while nextChunkDue <= now {
            chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: nextChunkDue) }
            if firstPlayedAt == nil && receiver.counters.framesDecoded > 0 { firstPlayedAt = now }
            chunk.withUnsafeBufferPointer { pointer in
                outputLevel.add(pointer)
                for sink in sinks { sink.play(pointer) }
            }
            nextChunkDue = nextChunkDue.advanced(byNanoseconds: chunkNanoseconds)
        }
        sendReportsIfDue(now: now, send: send)
    }

    /// The next instant `tick` has work to do.
    public var nextDeadline: ClockInstant {
        let media = source.isClockPaced ? min(nextFrameDue, nextChunkDue) : min(nextChunkDue, nextChunkDue.advanced(byNanoseconds: -chunkNanoseconds / 2))
        return min(media, reports.nextReport)
    }

    @discardableResult
    private func sendFrame(send: ([UInt8]) -> Void) -> Bool {
        // Until sending may start, a file stays at its beginning; a microphone's audio is dropped.
        if !sending && source.isClockPaced { return true }
        let captured = frame.withUnsafeMutableBufferPointer { source.nextFrame(into: $0) }
        guard captured else { return false }
        guard sending else { return true }
        frame.withUnsafeBufferPointer { inputLevel.add($0) }
        do {
            guard let packet = try frame.withUnsafeBufferPointer({ try sender.packetize(frame: $0) }) else { return true }
            send(try cipher.protect(packet.serialized()))
        } catch {
            protectFailures += 1
        }
        return true
    }

    /// Loss over the interval since the last call, percent of packets expected (nil before any arrive).
    public func takeIntervalLoss() -> Double? {
        let expected = receiver.reception.packetsExpected - lastExpected
        let received = receiver.reception.packetsReceived - lastReceived
        lastExpected = receiver.reception.packetsExpected
        lastReceived = receiver.reception.packetsReceived
        guard expected > 0 else { return nil }
        return max(0, Double(expected - received)) * 100 / Double(expected)
    }

    /// Mean jitter-buffer delay of the packets played since the last call, ms.
    public func takeIntervalBufferDelay() -> Double? { receiver.takeIntervalBufferDelay() }

    public func takeLevels() -> (input: Double?, output: Double?) { (inputLevel.take(), outputLevel.take()) }
}
