import HoplineCodec
import HoplineCore
import HoplineMedia
import HoplineNet

/// The loopback lab's event driver: captures frames, delivers media packets at the times the network
/// model decides, runs playout periods, and exchanges RTCP reports, all in time order on one thread.
final class LabSession {
    let options: LoopbackOptions
    let clock: any MediaClock
    let origin: ClockInstant
    private(set) var stream: [Float] = []
    private(set) var networkCounters = LabNetworkCounters()

    private let input: [Float]
    private let frameCount: Int
    private let sender: MediaSender
    private let receiver: MediaReceiver
    private let forward: LabLink
    private let backward: LabLink
    private let reporterSSRC: UInt32
    private var network: ImpairmentModel?
    /// Media packets on their way, sorted by arrival time (ties keep send order).
    private var deliveries: [(time: ClockInstant, bytes: [UInt8])] = []

    private var nextFrame = 0
    private var nextTick: Int64 = 0
    private var preEncoded: RTPPacket??
    private var frame: [Float]
    private var chunk: [Float]
    private var nextSenderReport: ClockInstant
    private var nextReceiverReport: ClockInstant

    private let frameNanoseconds: Int64
    private let chunkNanoseconds: Int64
    /// Playout periods run 1 ms after capture boundaries, so a datagram sent on a frame boundary (tens of
    /// microseconds through the loopback socket) is in the inbox when the period that can play it starts.
    private let playoutPhase: Int64 = 1_000_000
    private let reportNanoseconds: Int64

    init(
        options: LoopbackOptions, clock: any MediaClock, input: [Float], frameCount: Int, sender: MediaSender,
        receiver: MediaReceiver, forward: LabLink, backward: LabLink, reporterSSRC: UInt32
    ) {
        self.options = options
        self.clock = clock
        self.input = input
        self.frameCount = frameCount
        self.sender = sender
        self.receiver = receiver
        self.forward = forward
        self.backward = backward
        self.reporterSSRC = reporterSSRC
        origin = clock.now()
        network = options.impairment.map { ImpairmentModel(spec: $0, origin: clock.now()) }
        frame = [Float](repeating: 0, count: options.codec.frameSamples)
        chunk = [Float](repeating: 0, count: options.playoutChunkMilliseconds * 48)
        frameNanoseconds = Int64(options.codec.frameMilliseconds) * 1_000_000
        chunkNanoseconds = Int64(options.playoutChunkMilliseconds) * 1_000_000
        reportNanoseconds = Int64(options.receiverReportIntervalMilliseconds) * 1_000_000
        nextSenderReport = origin.advanced(byNanoseconds: min(reportNanoseconds / 2, 100_000_000))
        // The first receiver report goes early (after 250 ms), so the sender learns the real loss before it
        // has spent long planning FEC for the configured guess; then one per interval.
        nextReceiverReport = origin.advanced(byNanoseconds: min(reportNanoseconds, 250_000_000))
        stream.reserveCapacity(input.count + 96_000)
    }

    /// Runs events until every frame is sent and delivered and `done` says the output is complete, or the
    /// drain limit after the last frame passes.
    func run(until done: (LabSession) -> Bool, progress: ((Double) -> Void)?) throws {
        let lastFrameTime = Int64(frameCount) * frameNanoseconds
        let drainLimit = lastFrameTime + 3_000_000_000 + Int64(options.jitterTargetMilliseconds * 1_000_000)
        var lastPercent = -1
        while true {
            let frameDue = origin.advanced(byNanoseconds: Int64(nextFrame + 1) * frameNanoseconds)
            let tickDue = origin.advanced(byNanoseconds: nextTick * chunkNanoseconds + playoutPhase)
            if nextFrame < frameCount, frameDue <= tickDue, deliveries.first.map({ frameDue <= $0.time }) ?? true {
                clock.sleep(until: frameDue)
                try capture(at: frameDue)
                let percent = nextFrame * 100 / frameCount
                if percent != lastPercent {
                    lastPercent = percent
                    progress?(Double(nextFrame) / Double(frameCount))
                }
            } else if let delivery = deliveries.first, delivery.time <= tickDue {
                deliveries.removeFirst()
                clock.sleep(until: delivery.time)
                forward.send(delivery.bytes)
                if options.pacing == .fast { try ingest(forward.drainAll(meanwhile: preEncodeNextFrame)) }
            } else {
                clock.sleep(until: tickDue)
                try playoutPeriod(at: tickDue)
                if nextFrame == frameCount && deliveries.isEmpty && done(self) { return }
                if tickDue.nanoseconds - origin.nanoseconds > drainLimit { return }
            }
        }
    }

    /// Where input sample 0 sits in the rendered stream, from the first played packet.
    func alignedStart(initialTimestamp: UInt32) -> Int64? {
        guard let first = receiver.playoutLog.first else { return nil }
        return first.outputSampleIndex - Int64(first.rtpTimestamp &- initialTimestamp)
    }

    // MARK: - Events

    private func capture(at time: ClockInstant) throws {
        if options.pacing == .realTime { handleReports(backward.drain(), at: time) }
        let packet = try preEncoded ?? encode(nextFrame)
        preEncoded = nil
        nextFrame += 1
        if let packet {
            let bytes = packet.serialized()
            let arrivals = network.map { model -> [ClockInstant] in
                var model = model
                defer { network = model }
                return model.fate(ofPacketSentAt: time).arrivals
            } ?? [time]
            networkCounters.record(arrivals: arrivals.count)
            for arrival in arrivals { schedule(bytes, at: max(arrival, time)) }
        }
        if reportNanoseconds > 0 && time >= nextSenderReport {
            nextSenderReport = nextSenderReport.advanced(byNanoseconds: reportNanoseconds)
            forward.send(sender.makeSenderReport(now: time))
            if options.pacing == .fast { try ingest(forward.drainAll()) }
        }
    }

    private func playoutPeriod(at time: ClockInstant) throws {
        if options.pacing == .realTime { ingest(forward.drain()) }
        chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: time) }
        stream.append(contentsOf: chunk)
        nextTick += 1
        if reportNanoseconds > 0 && time >= nextReceiverReport {
            nextReceiverReport = nextReceiverReport.advanced(byNanoseconds: reportNanoseconds)
            if let report = receiver.makeReceiverReport(reporterSSRC: reporterSSRC, now: time) {
                backward.send(report)
                if options.pacing == .fast { handleReports(try backward.drainAll(), at: time) }
            }
        }
    }

    // MARK: - Helpers

    private func schedule(_ bytes: [UInt8], at time: ClockInstant) {
        let index = deliveries.lastIndex { $0.time <= time }.map { $0 + 1 } ?? 0
        deliveries.insert((time, bytes), at: index)
    }

    private func ingest(_ datagrams: [InboundDatagram]) {
        for datagram in datagrams { receiver.ingest(datagram.bytes, arrival: datagram.arrival) }
    }

    private func handleReports(_ datagrams: [InboundDatagram], at time: ClockInstant) {
        for datagram in datagrams { sender.handleRTCP(datagram.bytes, now: time) }
    }

    /// Encodes frame `index` of the input (zero-padded past its end); nil when DTX sends nothing.
    private func encode(_ index: Int) throws -> RTPPacket? {
        let frameSamples = frame.count
        let start = index * frameSamples
        let available = max(0, min(frameSamples, input.count - start))
        for offset in 0..<frameSamples { frame[offset] = offset < available ? input[start + offset] : 0 }
        return try frame.withUnsafeBufferPointer { try sender.packetize(frame: $0) }
    }

    /// In fast pacing, encodes the next frame while a datagram crosses the socket: on a virtual clock
    /// encoding takes no time, so results do not change (a receiver report arriving in between takes
    /// effect one frame later than in real time).
    private func preEncodeNextFrame() throws {
        guard preEncoded == nil, nextFrame < frameCount else { return }
        preEncoded = .some(try encode(nextFrame))
    }
}

/// What the lab's simulated network did to media packets.
public struct LabNetworkCounters: Equatable, Sendable, Codable {
    public var packets = 0
    public var dropped = 0
    public var duplicated = 0

    mutating func record(arrivals: Int) {
        packets += 1
        if arrivals == 0 { dropped += 1 }
        if arrivals > 1 { duplicated += 1 }
    }
}
