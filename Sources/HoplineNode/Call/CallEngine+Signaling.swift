import HoplineCore
import HoplineNet

/// Encrypted call signaling after the handshake: sealing with explicit nonces, replay refusal, reliable
/// delivery with backoff, keepalives (which are also the paths' probes, echoed on the path they came by),
/// liveness, and the call's end.
extension CallEngine {
    func seal(_ call: CallContext, _ message: SignalMessage) -> [UInt8]? {
        guard let keys = call.keys else { return nil }
        let nonce = call.sendNonce
        call.sendNonce += 1
        var header = WireWriter()
        header.u8(ControlPacketType.sealed.rawValue)
        header.u32(call.session)
        header.u64(nonce)
        guard let ciphertext = try? keys.seal(nonce: nonce, message.serialized(), associatedData: header.bytes) else {
            return nil
        }
        return ControlPacket.sealed(session: call.session, nonce: nonce, ciphertext: ciphertext).serialized()
    }

    /// Sends on `path`, or on the active path.
    func sendSealed(_ call: CallContext, _ message: SignalMessage, on path: PathKey? = nil) {
        guard let path = path ?? call.paths.active, let bytes = seal(call, message) else { return }
        environment.send(bytes, on: path)
    }

    /// Sends a message that must arrive: resent with backoff (each resend sealed with a fresh nonce) until
    /// acknowledged, or the peer is declared gone after `RetransmissionSchedule.giveUpMilliseconds`.
    func sendReliable(_ call: CallContext, now: ClockInstant, _ make: (UInt32) -> SignalMessage) {
        let sequence = call.nextSequence
        call.nextSequence += 1
        let message = make(sequence)
        call.unacknowledged[sequence] = PendingTransmission(bytes: message.serialized(), now: now.milliseconds, schedule: retransmission)
        sendSealed(call, message)
    }

    /// A keepalive on one path: the peer echoes it on the same path, which gives that path's RTT.
    func sendKeepalive(_ call: CallContext, on path: PathKey, now: ClockInstant) {
        sendSealed(call, .keepalive(sentAt: UInt64(max(0, now.nanoseconds))), on: path)
        call.paths.sent(path, at: now)
    }

    func sealedArrived(session: UInt32, nonce: UInt64, ciphertext: [UInt8], on path: PathKey, at now: ClockInstant) {
        guard let call, call.session == session, let keys = call.keys, call.replay.wouldAccept(nonce) else {
            environment.counters.sealedRejected += 1
            return
        }
        var header = WireWriter()
        header.u8(ControlPacketType.sealed.rawValue)
        header.u32(session)
        header.u64(nonce)
        guard let plaintext = keys.open(nonce: nonce, ciphertext, associatedData: header.bytes),
            let message = try? SignalMessage(parsing: plaintext), call.replay.accept(nonce)
        else {
            environment.counters.sealedRejected += 1
            return
        }
        heard(call, on: path, at: now, media: false)
        if case .rekey(let sequence, let epoch) = message {
            peerRekeyArrived(call, sequence: sequence, epoch: epoch, on: path)
            return
        }
        if let sequence = message.reliableSequence {
            sendSealed(call, .ack(acknowledged: sequence), on: path)
            guard call.processedSequences.insert(sequence).inserted else { return }
        }
        switch message {
        case .ack(let acknowledged):
            call.unacknowledged[acknowledged] = nil
            rekeyAcknowledged(call, sequence: acknowledged, now: now)
            if call.phase == .closing && call.unacknowledged.isEmpty { call.phase = .ended }
        case .keepalive(let sentAt):
            sendSealed(call, .keepaliveEcho(sentAt: sentAt), on: path)
        case .keepaliveEcho(let sentAt):
            // The peer chooses `sentAt`: one we never sent (near Int64.min) must not trap the subtraction.
            let (elapsed, overflow) = now.nanoseconds.subtractingReportingOverflow(Int64(truncatingIfNeeded: sentAt))
            let rtt = Double(elapsed) / 1_000_000
            if !overflow && rtt >= 0 && rtt < 60_000 { call.paths.measured(path, rttMilliseconds: rtt) }
        case .ringing:
            if call.phase == .handshaking { call.phase = .ringing }
        case .accept(_, let answer):
            guard call.role == .initiator, call.phase == .ringing else { return }
            if case .accepted(let offer) = answer { call.peerOffer = offer }
            let active = call.paths.active ?? path
            environment.event("\(call.peerLabel) answered; connected at \(active.nextHop) (\(active.kindName))")
            startMedia(call, now: now)
        case .reject:
            end(call, failure: .rejected(target: call.peerLabel))
        case .busy:
            end(call, failure: .busy(target: call.peerLabel))
        case .bye(_, let reason):
            environment.event("\(call.peerLabel) hung up (\(reason))")
            end(call, failure: nil)
        case .rekey:
            break  // handled above
        }
    }

    /// An authenticated packet came from the peer on `path`: the call is alive, and so is that path.
    func heard(_ call: CallContext, on path: PathKey, at now: ClockInstant, media: Bool) {
        call.lastHeard = now
        call.paths.heard(path, at: now, media: media)
        if !call.peerConfirmed {
            call.peerConfirmed = true
            call.media?.startSending(now: now)
        }
        if media, call.role == .responder, let change = call.paths.follow(path, at: now) {
            report(call, change)
        }
    }

    func tickCall(_ call: CallContext, now: ClockInstant) {
        let nowMs = now.milliseconds
        if call.phase == .handshaking, var retry = call.handshakeRetry {
            switch retry.poll(now: nowMs, schedule: RetransmissionSchedule(giveUpMilliseconds: settings.answerTimeoutSeconds * 1000)) {
            case .wait: break
            case .resend: sendHandshake(call)
            case .giveUp:
                end(call, failure: .noAnswer(
                    target: call.label, addresses: call.handshakeTargets.map { "\($0.nextHop)" }.joined(separator: ", "),
                    seconds: settings.answerTimeoutSeconds))
                return
            }
            call.handshakeRetry = retry
            return
        }
        for (sequence, var pending) in call.unacknowledged {
            switch pending.poll(now: nowMs, schedule: retransmission) {
            case .wait: call.unacknowledged[sequence] = pending
            case .resend:
                call.unacknowledged[sequence] = pending
                if let message = try? SignalMessage(parsing: pending.bytes) { sendSealed(call, message) }
            case .giveUp:
                call.unacknowledged[sequence] = nil
                if call.phase == .closing {
                    call.phase = .ended
                } else {
                    end(call, failure: .peerVanished(peer: call.peerLabel, seconds: now.milliseconds(since: call.lastHeard) / 1000))
                }
            }
        }
        if call.phase == .ended { return }
        if call.phase == .closing {
            // Bye sent: wait for its ack, but not long.
            if let since = call.closingSince, now.milliseconds(since: since) > 1_500 || call.unacknowledged.isEmpty { call.phase = .ended }
            return
        }
        guard let keys = call.keys else { return }
        tickPaths(call, now: now)
        tickRekey(call, keys: keys, now: now)
        let silence = now.milliseconds(since: call.lastHeard) / 1000
        if silence > settings.peerTimeoutSeconds {
            end(call, failure: .peerVanished(peer: call.peerLabel, seconds: silence))
            return
        }
        if call.phase == .ringing {
            if call.awaitingLocalAnswer, let answer = prompt?.takeAnswer() {
                answerLocally(call, accept: answer, now: now)
            } else if let since = call.ringingSince, now.milliseconds(since: since) > settings.ringTimeoutSeconds * 1000 {
                if call.role == .responder { sendReliable(call, now: now) { .reject(sequence: $0) } }
                end(call, failure: .noAnswer(
                    target: call.peerLabel, addresses: call.paths.active.map { "\($0.nextHop)" } ?? "?",
                    seconds: settings.ringTimeoutSeconds))
            }
        }
        if call.phase == .active, let media = call.media {
            if let active = call.paths.active {
                media.tick(now: now) { environment.send($0, on: active) }
            }
            if !call.reportedFirstAudio, let first = media.firstPlayedAt {
                call.reportedFirstAudio = true
                environment.event(String(format: "first audio played %.1f ms after the call started", first.milliseconds(since: call.startedAt)))
            }
            if let duration = settings.durationSeconds, let since = call.activeSince, now.milliseconds(since: since) >= duration * 1000 {
                hangUp(call, reason: .durationReached)
            }
        }
    }

    /// Ends the call from this side: bye (reliable), then the call ends when it is acknowledged.
    func hangUp(_ call: CallContext, reason: ByeReason) {
        let now = environment.now()
        if call.keys == nil || call.phase == .handshaking {
            call.phase = .ended
            environment.event("call attempt cancelled")
            return
        }
        sendReliable(call, now: now) { .bye(sequence: $0, reason: reason) }
        environment.event("hanging up (\(reason))")
        call.phase = .closing
        call.closingSince = now
    }

    func end(_ call: CallContext, failure: CallError?) {
        call.failure = failure
        call.phase = .ended
        if let failure { environment.event("\(failure)") }
    }

    /// Releases the ended call: writes the recording, closes devices, leaves its relay sessions.
    func finishCall() {
        guard let call else { return }
        if let media = call.media { finishMedia(media, call: call) }
        call.media = nil
        for id in call.relayLinks { relays.leave(id) }
        call.relayLinks.removeAll()
        self.call = nil
    }

    func startMedia(_ call: CallContext, now: ClockInstant) {
        call.phase = .active
        call.activeSince = now
        do {
            call.media = try makeMediaSession(for: call, now: now)
        } catch {
            environment.event("cannot start media: \(error)")
            hangUp(call, reason: .hangUp)
        }
    }
}
