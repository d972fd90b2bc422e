import Foundation
import HoplineAudio
import HoplineCore
import HoplineMedia
import HoplineNet
import NIOPosix

/// A Hopline node: one UDP socket carrying signaling, address discovery, rendezvous and SRTP media, and one
/// loop thread that owns all call state. `listen` answers calls until stopped; `call` places one.
///
/// Threading: the socket's event loop only queues datagrams (`DatagramInbox`); everything else, including
/// media pacing, runs on the thread that called `listen` or `call`. Live audio devices are reached only
/// through lock-free rings, so the real-time callback never waits for this thread.
public final class NodeRuntime {
    public let settings: NodeSettings
    public let identity: NodeIdentity
    let clock = MonotonicClock()
    let group: MultiThreadedEventLoopGroup
    let inbox = DatagramInbox()
    let socket: UDPTransport
    let stop: StopSignal
    let log: (String) -> Void
    let origin: ClockInstant
    var counters = NodeCounters()
    var rendezvousCounters = RendezvousCounters()
    var call: CallContext?
    /// Answers already given to handshakes this node refused (busy/not allowed), resent on duplicates.
    var refusedHandshakes: [UInt32: [UInt8]] = [:]
    var rendezvousServer = RendezvousTable()
    var registration: RegistrationState?
    var pendingRequests: [[UInt8]: PendingRequest] = [:]
    var listenPolicy: ListenPolicy?
    /// The session announced in a rendezvous lookup, used by the call that follows it.
    var pendingSession: UInt32?
    var punches: [Punch] = []
    /// The call's live audio devices, when it uses any.
    var liveStream: LiveAudioStream?
    var prompt: TerminalPrompt?
    private var statsFile: FileHandle?
    private var nextStatus: ClockInstant
    private var statusDrawn = false
    private var lastBytesSent = 0
    private var lastBytesReceived = 0
    let retransmission = RetransmissionSchedule()
    /// `--play`'s audio, read and resampled once at start (so a bad file fails before any call).
    let playSamples: [Float]?

    /// Binds the socket. `log` gets one line per event (ringing, connected, ended, warnings).
    public init(
        settings: NodeSettings, identity: NodeIdentity, stop: StopSignal, log: @escaping (String) -> Void
    ) throws {
        self.settings = settings
        self.identity = identity
        self.stop = stop
        self.log = log
        origin = clock.now()
        // libsrtp2 runs its crypto self-tests on initialisation (tens of ms): do it now, not as a call connects.
        do {
            try SRTPLibrary.initialize()
        } catch {
            throw CallError.setupFailed("\(error)")
        }
        playSamples = try settings.playPath.map { path in
            do { return try FileAudioSource.load(path: path) } catch { throw CallError.invalidArgument("--play: \(error)") }
        }
        nextStatus = origin.advanced(byNanoseconds: 1_000_000_000)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = self.inbox
        do {
            socket = try UDPTransport.bind(to: settings.bind, group: group, clock: clock) { inbox.push($0) }
        } catch {
            try? group.syncShutdownGracefully()
            throw CallError.setupFailed("\(error)")
        }
        if let statsPath = settings.statsPath {
            guard FileManager.default.createFile(atPath: statsPath, contents: nil),
                let handle = FileHandle(forWritingAtPath: statsPath)
            else {
                socket.close()
                try? group.syncShutdownGracefully()
                throw CallError.invalidArgument("--stats \(statsPath): cannot create the file")
            }
            statsFile = handle
        }
    }

    deinit {
        socket.close()
        try? group.syncShutdownGracefully()
        try? statsFile?.close()
    }

    /// The address the socket is bound to.
    public var localAddress: PeerAddress { socket.localAddress }

    /// Answers calls (and serves as a rendezvous for others) until SIGINT/SIGTERM.
    public func listen(policy: ListenPolicy) throws {
        listenPolicy = policy
        if !policy.autoAnswer { prompt = TerminalPrompt() }
        event("listening on \(socket.localAddress) as \(identity.nodeID)")
        if let rendezvous = settings.rendezvous { startRegistration(at: rendezvous) }
        run { [unowned self] in
            if stop.caught != nil {
                if let call, call.phase != .ended, call.phase != .closing { hangUp(call, reason: .interrupted) }
                return call == nil
            }
            return false
        }
    }

    /// Places one call and returns when it ends; throws `CallError` when it could not be made or failed.
    public func call(_ target: CallTarget) throws {
        let (peer, addresses) = try resolve(target)
        let session = pendingSession ?? UInt32.random(in: 1 ... .max)
        let context = CallContext(role: .initiator, session: session, label: "\(target)", phase: .handshaking, now: clock.now())
        context.peerID = peer
        context.handshakeTargets = addresses
        call = context
        try startHandshake(context, to: peer)
        event("calling \(peer) at \(addresses.map { "\($0)" }.joined(separator: ", "))")
        var outcome: CallError?
        run { [unowned self] in
            if stop.caught != nil, let call, call.phase != .closing, call.phase != .ended {
                hangUp(call, reason: .interrupted)
            }
            guard let call else { return true }
            if call.phase == .ended {
                outcome = call.failure
                return true
            }
            return false
        }
        if let outcome { throw outcome }
    }

    /// The node's loop: wait for datagrams or the next deadline, handle both, until `done` says so.
    func run(until done: () -> Bool) {
        while true {
            let now = clock.now()
            let deadline = nextDeadline(now: now)
            let wait = max(0, deadline.nanoseconds - now.nanoseconds)
            let batch = inbox.waitAndDrain(timeoutNanoseconds: UInt64(wait))
            for datagram in batch { handle(datagram) }
            tick(now: clock.now())
            if done() { break }
        }
        writeStatus(now: clock.now(), final: true)
        finishCall()
        if statusDrawn { writeToStandardError("\r\u{1B}[2K") }
    }

    private func nextDeadline(now: ClockInstant) -> ClockInstant {
        var deadline = min(nextStatus, now.advanced(byNanoseconds: 20_000_000))
        if let media = call?.media, call?.phase == .active { deadline = min(deadline, media.nextDeadline) }
        return deadline
    }

    /// Everything time-driven: media, retransmissions, keepalives, liveness, rendezvous, status.
    func tick(now: ClockInstant) {
        if let call {
            tickCall(call, now: now)
            if call.phase == .ended && listenPolicy != nil { finishCall() }
        }
        tickRegistration(now: now)
        tickPunches(now: now)
        if now >= nextStatus {
            writeStatus(now: now, final: false)
            nextStatus = nextStatus.advanced(byNanoseconds: 1_000_000_000)
            if nextStatus < now { nextStatus = now.advanced(byNanoseconds: 1_000_000_000) }
        }
    }

    // MARK: datagrams

    func handle(_ datagram: InboundDatagram) {
        switch DatagramClass.classify(datagram.bytes) {
        case .unknown, .relay:  // relay packets: the node's relay client (issue 7) will take these
            counters.garbage += 1
        case .srtcp:
            counters.srtcpIgnored += 1
        case .srtp:
            handleMedia(datagram)
        case .control:
            let packet: ControlPacket
            do {
                packet = try ControlPacket(parsing: datagram.bytes)
            } catch {
                counters.malformedControl += 1
                return
            }
            handleControl(packet, from: datagram.source, at: datagram.arrival)
        }
    }

    private func handleMedia(_ datagram: InboundDatagram) {
        guard let call, let media = call.media, call.phase == .active || call.phase == .closing else {
            counters.mediaWithoutCall += 1
            return
        }
        switch media.ingest(datagram.bytes, arrival: datagram.arrival) {
        case .success:
            counters.mediaPacketsAccepted += 1
            heard(call, from: datagram.source, at: datagram.arrival)
        case .failure(.replayed): counters.srtpReplayed += 1
        case .failure(.forged): counters.srtpForged += 1
        case .failure(.malformed): counters.srtpMalformed += 1
        case .failure(.other): counters.srtpOther += 1
        }
    }

    func handleControl(_ packet: ControlPacket, from source: PeerAddress, at arrival: ClockInstant) {
        switch packet {
        case .bindRequest(let transaction):
            socket.send(ControlPacket.bindResponse(transaction: transaction, observed: source).serialized(), to: source)
        case .identityRequest(let transaction):
            socket.send(
                ControlPacket.identityResponse(transaction: transaction, staticKey: identity.nodeID.publicKey).serialized(),
                to: source)
        case .connectivityCheck(let transaction, let session):
            socket.send(
                ControlPacket.connectivityCheckResponse(transaction: transaction, session: session, observed: source)
                    .serialized(), to: source)
            checkArrived(session: session, from: source)
        case .handshakeInit(let session, let message):
            handshakeInitArrived(session: session, message: message, from: source, at: arrival)
        case .handshakeResponse(let session, let message):
            handshakeResponseArrived(session: session, message: message, from: source, at: arrival)
        case .handshakeRefused(let session, let reason):
            handshakeRefusedArrived(session: session, reason: reason, from: source)
        case .sealed(let session, let nonce, let ciphertext):
            sealedArrived(session: session, nonce: nonce, ciphertext: ciphertext, from: source, at: arrival)
        case .rendezvousRegister(let registration):
            serveRegistration(registration, from: source, at: arrival)
        case .rendezvousLookup(let transaction, let target, let session, let candidates):
            serveLookup(transaction: transaction, target: target, session: session, candidates: candidates, from: source, at: arrival)
        case .rendezvousRegistered(let timestamp, let observed, _):
            registrationConfirmed(timestamp: timestamp, observed: observed, from: source)
        case .rendezvousIntroduce(let session, let candidates):
            introduced(session: session, candidates: candidates, from: source)
        case .bindResponse(let transaction, _), .identityResponse(let transaction, _),
            .rendezvousLookupResult(let transaction, _, _), .connectivityCheckResponse(let transaction, _, _):
            pendingRequests[transaction]?.response = packet
        }
    }

    // MARK: status

    func writeStatus(now: ClockInstant, final: Bool) {
        let socketStatistics = socket.statistics
        let elapsed = 1.0
        var status = CallStatus(
            time: now.seconds - origin.seconds, state: call?.phase.rawValue ?? "listening", counters: counters,
            rendezvous: rendezvousCounters, datagramsReceived: socketStatistics.datagramsReceived,
            datagramsSent: socketStatistics.datagramsSent)
        status.sendKbps = Double(socketStatistics.bytesSent - lastBytesSent) * 8 / elapsed / 1000
        status.receiveKbps = Double(socketStatistics.bytesReceived - lastBytesReceived) * 8 / elapsed / 1000
        lastBytesSent = socketStatistics.bytesSent
        lastBytesReceived = socketStatistics.bytesReceived
        if let call {
            status.peer = call.peerID?.description
            status.remote = call.remote?.description
            status.path = call.remote == nil ? nil : "direct"
            status.rttMs = call.rttMilliseconds
            if let media = call.media {
                status.lossPercent = media.takeIntervalLoss()
                status.jitterMs = media.reception.jitterMilliseconds
                status.bufferDelayMs = media.takeIntervalBufferDelay()
                let levels = media.takeLevels()
                status.inputDb = levels.input
                status.outputDb = levels.output
                status.packetsSent = media.senderStatistics.packetsSent
                status.packetsReceived = media.reception.packetsReceived
                status.framesConcealed = media.jitterStatistics.concealed
                let oneWay = (call.rttMilliseconds ?? 0) / 2 + (status.bufferDelayMs ?? settings.jitterTargetMilliseconds)
                    + Double(settings.codec.frameMilliseconds) + media.lookaheadMilliseconds
                status.mos = EModel.meanOpinionScore(oneWayDelayMilliseconds: oneWay, lossPercent: status.lossPercent ?? 0)
                if let first = media.firstPlayedAt { status.firstAudioMs = first.milliseconds(since: call.startedAt) }
            }
        }
        if let statsFile { statsFile.write(Data((status.jsonLine() + "\n").utf8)) }
        if settings.showStatusLine, !final, isatty(STDERR_FILENO) != 0 {
            writeToStandardError("\r\u{1B}[2K" + status.line)
            statusDrawn = true
        }
    }

    /// Logs one event line, clearing the status line first.
    func event(_ text: String) {
        if statusDrawn {
            writeToStandardError("\r\u{1B}[2K")
            statusDrawn = false
        }
        log(String(format: "[%7.3f s] ", clock.now().seconds - origin.seconds) + text)
    }
}

func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
