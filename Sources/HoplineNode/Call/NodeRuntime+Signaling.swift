import HoplineCore
import HoplineNet

/// Encrypted call signaling after the handshake: sealing with explicit nonces, replay refusal, reliable
/// delivery with backoff, keepalives with RTT echo, liveness, and the call's end.
extension NodeRuntime {
    func seal(_ call: CallContext, _ message: SignalMessage) -> [UInt8]? {
        guard let transport = call.transport else { return nil }
        let nonce = call.sendNonce
        call.sendNonce += 1
        var header = WireWriter()
        header.u8(ControlPacketType.sealed.rawValue)
        header.u32(call.session)
        header.u64(nonce)
        guard let ciphertext = try? transport.encrypt(nonce: nonce, message.serialized(), associatedData: header.bytes) else {
            return nil
        }
        return ControlPacket.sealed(session: call.session, nonce: nonce, ciphertext: ciphertext).serialized()
    }

    func sendSealed(_ call: CallContext, _ message: SignalMessage) {
        guard let remote = call.remote, let bytes = seal(call, message) else { return }
        socket.send(bytes, to: remote)
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

    func sendKeepalive(_ call: CallContext, now: ClockInstant) {
        sendSealed(call, .keepalive(sentAt: UInt64(max(0, now.nanoseconds))))
        call.nextKeepalive = now.advanced(byNanoseconds: 1_000_000_000)
    }

    func sealedArrived(session: UInt32, nonce: UInt64, ciphertext: [UInt8], from source: PeerAddress, at now: ClockInstant) {
        guard let call, call.session == session, let transport = call.transport, call.replay.wouldAccept(nonce) else {
            counters.sealedRejected += 1
            return
        }
        var header = WireWriter()
        header.u8(ControlPacketType.sealed.rawValue)
        header.u32(session)
        header.u64(nonce)
        guard let plaintext = try? transport.decrypt(nonce: nonce, ciphertext, associatedData: header.bytes),
            let message = try? SignalMessage(parsing: plaintext), call.replay.accept(nonce)
        else {
            counters.sealedRejected += 1
            return
        }
        heard(call, from: source, at: now)
        if let sequence = message.reliableSequence {
            sendSealed(call, .ack(acknowledged: sequence))
            guard call.processedSequences.insert(sequence).inserted else { return }
        }
        switch message {
        case .ack(let acknowledged):
            call.unacknowledged[acknowledged] = nil
            if call.phase == .closing && call.unacknowledged.isEmpty { call.phase = .ended }
        case .keepalive(let sentAt):
            sendSealed(call, .keepaliveEcho(sentAt: sentAt))
        case .keepaliveEcho(let sentAt):
            let rtt = Double(now.nanoseconds - Int64(truncatingIfNeeded: sentAt)) / 1_000_000
            if rtt >= 0 && rtt < 60_000 { call.rttMilliseconds = rtt }
        case .ringing:
            if call.phase == .handshaking { call.phase = .ringing }
        case .accept(_, let answer):
            guard call.role == .initiator, call.phase == .ringing else { return }
            if case .accepted(let offer) = answer { call.peerOffer = offer }
            event("\(call.peerLabel) answered; connected at \(call.remote.map { "\($0)" } ?? "?") (direct)")
            startMedia(call, now: now)
        case .reject:
            end(call, failure: .rejected(target: call.peerLabel))
        case .busy:
            end(call, failure: .busy(target: call.peerLabel))
        case .bye(_, let reason):
            event("\(call.peerLabel) hung up (\(reason))")
            end(call, failure: nil)
        }
    }

    /// An authenticated packet came from the peer: it is alive, and this is where it is now.
    func heard(_ call: CallContext, from source: PeerAddress, at now: ClockInstant) {
        call.lastHeard = now
        if !call.peerConfirmed {
            call.peerConfirmed = true
            call.media?.startSending(now: now)
        }
        if call.remote != source {
            if call.remote != nil { event("peer moved to \(source)") }
            call.remote = source
        }
    }

    func tickCall(_ call: CallContext, now: ClockInstant) {
        let nowMs = now.milliseconds
        if call.phase == .handshaking, var retry = call.handshakeRetry {
            switch retry.poll(now: nowMs, schedule: RetransmissionSchedule(giveUpMilliseconds: settings.answerTimeoutSeconds * 1000)) {
            case .wait: break
            case .resend: for target in call.handshakeTargets { socket.send(call.handshakeMessage, to: target) }
            case .giveUp:
                end(call, failure: .noAnswer(
                    target: call.label, addresses: call.handshakeTargets.map { "\($0)" }.joined(separator: ", "),
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
        if call.transport != nil && now >= call.nextKeepalive { sendKeepalive(call, now: now) }
        let silence = now.milliseconds(since: call.lastHeard) / 1000
        if call.transport != nil && silence > settings.peerTimeoutSeconds {
            end(call, failure: .peerVanished(peer: call.peerLabel, seconds: silence))
            return
        }
        if call.phase == .ringing {
            if call.awaitingLocalAnswer, let answer = prompt?.takeAnswer() {
                answerLocally(call, accept: answer, now: now)
            } else if let since = call.ringingSince, now.milliseconds(since: since) > settings.ringTimeoutSeconds * 1000 {
                if call.role == .responder { sendReliable(call, now: now) { .reject(sequence: $0) } }
                end(call, failure: .noAnswer(target: call.peerLabel, addresses: call.remote.map { "\($0)" } ?? "?", seconds: settings.ringTimeoutSeconds))
            }
        }
        tickPunching(call, now: now)
        if call.phase == .active, let media = call.media {
            if let remote = call.remote { media.tick(now: now) { socket.send($0, to: remote) } }
            if !call.reportedFirstAudio, let first = media.firstPlayedAt {
                call.reportedFirstAudio = true
                event(String(format: "first audio played %.1f ms after the call started", first.milliseconds(since: call.startedAt)))
            }
            if let duration = settings.durationSeconds, let since = call.activeSince, now.milliseconds(since: since) >= duration * 1000 {
                hangUp(call, reason: .durationReached)
            }
        }
    }

    /// Ends the call from this side: bye (reliable), then the call ends when it is acknowledged.
    func hangUp(_ call: CallContext, reason: ByeReason) {
        let now = clock.now()
        if call.transport == nil || call.phase == .handshaking {
            call.phase = .ended
            event("call attempt cancelled")
            return
        }
        sendReliable(call, now: now) { .bye(sequence: $0, reason: reason) }
        event("hanging up (\(reason))")
        call.phase = .closing
        call.closingSince = now
    }

    func end(_ call: CallContext, failure: CallError?) {
        call.failure = failure
        call.phase = .ended
        if let failure { event("\(failure)") }
    }

    /// Releases the ended call: writes the recording, closes devices; a listener goes back to waiting.
    func finishCall() {
        guard let call else { return }
        if let media = call.media { finishMedia(media, call: call) }
        call.media = nil
        self.call = nil
    }

    func startMedia(_ call: CallContext, now: ClockInstant) {
        call.phase = .active
        call.activeSince = now
        do {
            call.media = try makeMediaSession(for: call, now: now)
        } catch {
            event("cannot start media: \(error)")
            hangUp(call, reason: .hangUp)
        }
    }
}
