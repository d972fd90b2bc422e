import HoplineAudio
import HoplineCore
import HoplineNet

/// The call state machine of a node: the Noise IK handshake, sealed signaling with acknowledgements and
/// retransmission, the call's set of paths (direct and relayed, probed, one active, failover), and its media.
/// One call at a time; a second caller hears busy.
///
/// No sockets, threads or wall clock: datagrams come in through `receive`, time through `tick(now:)`, and
/// everything goes out through the `NodeEnvironment`'s transport, so tests run it on a virtual clock.
final class CallEngine {
    let environment: NodeEnvironment
    let relays: RelayLinks
    var call: CallContext?
    /// Set while listening: how incoming calls are answered.
    var listenPolicy: ListenPolicy?
    var prompt: TerminalPrompt?
    /// Answers already given to handshakes this node refused (busy/not allowed), resent on duplicates.
    var refusedHandshakes: [UInt32: [UInt8]] = [:]
    /// Refuses replayed message 1s (callee side).
    var replayGuard = HandshakeReplayGuard()
    /// Message 1s that would cost DH work, per second: above the threshold the responder asks for cookies.
    var handshakeLoad = HandshakeLoadMeter()
    /// Under load, how many more message 1s from each source (path) are looked at this second.
    var messageOneLimiter = HandshakeSourceLimiter<PathKey>()
    /// Checks the mac1 of message 1s sent to this node (keyed with its own static key).
    let ownHandshakeMAC: HandshakeMAC
    /// The responder's handshake cookies (the caller proves its address before any DH work under load).
    var handshakeCookies: AddressCookieJar
    /// The timestamp of this node's last offer (caller side), so the next one is always newer.
    var lastOfferTimestamp: UInt64 = 0
    /// The session a rendezvous lookup announced, used by the call that follows it.
    var pendingSession: UInt32?
    /// `--play`'s audio, read and resampled once at start (so a bad file fails before any call).
    let playSamples: [Float]?
    /// The call's live audio devices, when it uses any.
    var liveAudio: LiveAudioSession?
    /// Called when a handshake for an introduced session arrives (stop punching for it).
    var onHandshakeArrived: (UInt32) -> Void = { _ in }
    let retransmission = RetransmissionSchedule()
    /// Whether the finished call is dropped at once (a listener goes back to waiting; a caller keeps it to
    /// read the outcome).
    var releasesEndedCalls = false

    init(environment: NodeEnvironment, relays: RelayLinks, playSamples: [Float]?) {
        self.environment = environment
        self.relays = relays
        self.playSamples = playSamples
        handshakeCookies = AddressCookieJar(epochSeconds: 60, now: environment.now())
        ownHandshakeMAC = HandshakeMAC(responderStaticKey: environment.identity.nodeID.publicKey)
    }

    var settings: NodeSettings { environment.settings }
    var identity: NodeIdentity { environment.identity }

    // MARK: inbound

    /// One datagram that arrived on `path` (a relay's DATA header already removed): SRTP, SRTCP or a control
    /// packet. Address-discovery and rendezvous packets never get here.
    func receiveMedia(_ bytes: [UInt8], on path: PathKey, at arrival: ClockInstant) {
        guard let call, let media = call.media, call.phase == .active || call.phase == .closing else {
            environment.counters.mediaWithoutCall += 1
            return
        }
        switch media.ingest(bytes, arrival: arrival) {
        case .success:
            environment.counters.mediaPacketsAccepted += 1
            heard(call, on: path, at: arrival, media: true)
        case .failure(.replayed): environment.counters.srtpReplayed += 1
        case .failure(.forged): environment.counters.srtpForged += 1
        case .failure(.malformed): environment.counters.srtpMalformed += 1
        case .failure(.other): environment.counters.srtpOther += 1
        }
    }

    /// One SRTCP datagram that arrived on `path`: reports for the call's media; refusals are counted.
    func receiveRTCP(_ bytes: [UInt8], on path: PathKey, at arrival: ClockInstant) {
        guard let call, let media = call.media, call.phase == .active || call.phase == .closing else {
            environment.counters.mediaWithoutCall += 1
            return
        }
        switch media.ingestRTCP(bytes, arrival: arrival) {
        case .success: environment.counters.srtcpAccepted += 1
        case .failure(.replayed): environment.counters.srtcpReplayed += 1
        case .failure(.forged): environment.counters.srtcpForged += 1
        case .failure(.malformed): environment.counters.srtcpMalformed += 1
        case .failure(.other): environment.counters.srtcpForged += 1
        }
    }

    /// A call control packet (handshake, refusal, sealed signaling, connectivity check) that arrived on `path`.
    /// Returns false for packets that are not the call's.
    func receiveControl(_ packet: ControlPacket, on path: PathKey, at arrival: ClockInstant) -> Bool {
        switch packet {
        case .handshakeInit(let session, let message):
            handshakeInitReceived(session: session, message: message, cookie: nil, on: path, at: arrival)
        case .handshakeInitWithCookie(let session, let cookie, let message):
            handshakeInitReceived(session: session, message: message, cookie: cookie, on: path, at: arrival)
        case .handshakeCookie(let session, let cookie):
            handshakeCookieArrived(session: session, cookie: cookie, on: path)
        case .handshakeResponse(let session, let message):
            handshakeResponseArrived(session: session, message: message, on: path, at: arrival)
        case .handshakeRefused(let session, let reason):
            handshakeRefusedArrived(session: session, reason: reason, on: path)
        case .sealed(let session, let nonce, let ciphertext):
            sealedArrived(session: session, nonce: nonce, ciphertext: ciphertext, on: path, at: arrival)
        case .connectivityCheck(_, let session):
            checkArrived(session: session, on: path)
        default:
            return false
        }
        return true
    }

    /// What the relay client learnt: a session joined (a new path for the call), failed, or is draining.
    func relayEvent(_ event: RelayLinks.Event, at now: ClockInstant) {
        guard let call else { return }
        switch event {
        case .joined(let id):
            guard let link = relays.link(id), link.callSession == call.session, let channel = link.channel else { return }
            adoptRelayPath(call, relay: link.relay, channel: channel, linkID: id, now: now)
        case .failed(let id):
            guard let link = relays.link(id), link.callSession == call.session else { return }
            if case .refused(let reason) = link.state {
                environment.event("relay \(link.relay) refused the session: \(reason)")
            } else {
                environment.event("relay \(link.relay) did not answer")
            }
            if let channel = link.channel {
                call.paths.withdraw(.relayed(relay: link.relay, channel: channel))
                reselectPath(call, now: now)
            }
        case .drain(let relay, let channel):
            let key = PathKey.relayed(relay: relay, channel: channel)
            guard call.paths.paths[key] != nil else { return }
            environment.event("relay \(relay) is draining: leaving it")
            call.paths.withdraw(key)
            reselectPath(call, now: now)
        }
    }

    // MARK: time

    /// Everything time-driven for the call: retransmissions, probes, liveness, failover, media, ringing.
    func tick(now: ClockInstant) {
        guard let call else { return }
        tickCall(call, now: now)
        if call.phase == .ended && releasesEndedCalls { finishCall() }
    }

    func nextDeadline(now: ClockInstant) -> ClockInstant {
        var deadline = now.advanced(byNanoseconds: 20_000_000)
        guard let call else { return deadline }
        if let media = call.media, call.phase == .active { deadline = min(deadline, media.nextDeadline) }
        if let keys = call.keys {
            deadline = min(deadline, call.paths.nextDeadline(after: now))
            if call.phase == .ringing || call.phase == .active, let rekey = keys.rekeyDeadline(policy: settings.rekey) {
                deadline = min(deadline, rekey)
            }
        }
        // Retransmissions fire exactly on their schedule (no array per pass: this runs at every wake-up).
        var first = call.handshakeRetry?.nextSendMilliseconds
        for pending in call.unacknowledged.values { first = min(first ?? pending.nextSendMilliseconds, pending.nextSendMilliseconds) }
        if let first { deadline = min(deadline, ClockInstant.milliseconds(first)) }
        return deadline
    }
}
