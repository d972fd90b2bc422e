import HoplineCore
import HoplineMedia
import HoplineNet

/// The loopback lab's event driver over two call media sessions, the same `MediaSession` a call runs
/// (Opus/RTP sender, SRTP, SRTCP reports and sender adaptation, jitter buffer and decoder): `caller` sends
/// the input, `callee` plays it out. Steps through the sessions' deadlines and the simulated network's
/// deliveries in time order on one thread: sender work first, then deliveries due, then playout.
///
/// Media from the caller goes through the impairment model (loss, delay, duplication) and then the real
/// loopback socket; RTCP (both ways) goes straight through its socket, on a clean path.
final class LabSession {
    let options: LoopbackOptions
    let clock: any MediaClock
    let origin: ClockInstant
    let caller: MediaSession
    let callee: MediaSession
    private(set) var networkCounters = LabNetworkCounters()
    /// Bytes of SRTP media datagrams the caller sent (before the network model), for the on-wire bitrate.
    private(set) var mediaBytesSent = 0
    /// Media the callee's SRTP replay check refused: the network's duplicates (and packets so late they fell
    /// out of the replay window), as in a call.
    private(set) var replayed = 0
    /// Datagrams a session refused otherwise (forged, malformed): 0 in a healthy run.
    private(set) var refused = 0

    private let source: LabFrameSource
    private let forward: LabLink
    private let backward: LabLink
    private var network: ImpairmentModel?
    /// Media packets on their way, sorted by arrival time (ties keep send order).
    private var deliveries: [(time: ClockInstant, bytes: [UInt8])] = []
    private var pendingMedia: [(time: ClockInstant, bytes: [UInt8])] = []

    init(
        options: LoopbackOptions, clock: any MediaClock, origin: ClockInstant, caller: MediaSession,
        callee: MediaSession, source: LabFrameSource, forward: LabLink, backward: LabLink
    ) {
        self.options = options
        self.clock = clock
        self.origin = origin
        self.caller = caller
        self.callee = callee
        self.source = source
        self.forward = forward
        self.backward = backward
        network = options.impairment.map { ImpairmentModel(spec: $0, origin: origin) }
    }

    /// Runs events until `done` says the output is complete (after every frame was sent and delivered), or
    /// the drain limit after the last frame passes.
    func run(until done: () -> Bool, progress: ((Double) -> Void)?) throws {
        let frameNanoseconds = Int64(options.codec.frameMilliseconds) * 1_000_000
        let lastFrameTime = Int64(source.frameCount + 1) * frameNanoseconds
        let drainLimit = lastFrameTime + 3_000_000_000 + Int64(options.jitterTargetMilliseconds * 1_000_000)
        var lastPercent = -1
        while true {
            let callerDue = caller.nextDeadline
            let calleeDue = callee.nextDeadline
            if callerDue <= calleeDue, deliveries.first.map({ callerDue <= $0.time }) ?? true {
                clock.sleep(until: callerDue)
                try senderEvent(at: callerDue)
                let percent = source.framesTaken * 100 / source.frameCount
                if percent != lastPercent {
                    lastPercent = percent
                    progress?(Double(source.framesTaken) / Double(source.frameCount))
                }
            } else if let delivery = deliveries.first, delivery.time <= calleeDue {
                deliveries.removeFirst()
                clock.sleep(until: delivery.time)
                forward.send(delivery.bytes)
                if options.pacing == .fast { ingest(try forward.drainAll(), into: callee) }
            } else {
                clock.sleep(until: calleeDue)
                if options.pacing == .realTime { ingest(forward.drain(), into: callee) }
                var reports = 0
                callee.tick(now: calleeDue) { bytes in
                    backward.send(bytes)
                    reports += 1
                }
                if options.pacing == .fast && reports > 0 { ingest(try backward.drainAll(), into: caller) }
                let framesDone = source.framesTaken == source.frameCount && deliveries.isEmpty
                if framesDone && done() { return }
                if calleeDue.nanoseconds - origin.nanoseconds > drainLimit { return }
            }
        }
    }

    // MARK: - Events

    private func senderEvent(at time: ClockInstant) throws {
        if options.pacing == .realTime { ingest(backward.drain(), into: caller) }
        var reports = 0
        caller.tick(now: time) { bytes in
            if RTCPPacket.isRTCP(bytes) {
                forward.send(bytes)
                reports += 1
            } else {
                pendingMedia.append((time, bytes))
            }
        }
        if let failure = source.failure { throw failure }
        for (time, bytes) in pendingMedia { transmit(bytes, sentAt: time) }
        pendingMedia.removeAll(keepingCapacity: true)
        if options.pacing == .fast && reports > 0 { ingest(try forward.drainAll(), into: callee) }
    }

    /// Media into the network model: dropped, delayed or duplicated, scheduled for delivery.
    private func transmit(_ bytes: [UInt8], sentAt time: ClockInstant) {
        mediaBytesSent += bytes.count
        let arrivals = network.map { model -> [ClockInstant] in
            var model = model
            defer { network = model }
            return model.fate(ofPacketSentAt: time).arrivals
        } ?? [time]
        networkCounters.record(arrivals: arrivals.count)
        for arrival in arrivals { schedule(bytes, at: max(arrival, time)) }
    }

    private func schedule(_ bytes: [UInt8], at time: ClockInstant) {
        let index = deliveries.lastIndex { $0.time <= time }.map { $0 + 1 } ?? 0
        deliveries.insert((time, bytes), at: index)
    }

    /// Demultiplexes SRTP and SRTCP (RFC 5761) into a session, as the call engine does.
    private func ingest(_ datagrams: [InboundDatagram], into session: MediaSession) {
        for datagram in datagrams {
            let result =
                RTCPPacket.isRTCP(datagram.bytes)
                ? session.ingestRTCP(datagram.bytes, arrival: datagram.arrival)
                : session.ingest(datagram.bytes, arrival: datagram.arrival)
            switch result {
            case .success: break
            case .failure(.replayed): replayed += 1
            case .failure: refused += 1
            }
        }
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
