import HoplineCore
import HoplineNet

/// Noise IK handshakes: the initiator's message 1 (with the offer) and its retransmission to every
/// candidate address; the responder's message 2 (ringing/accept/busy/reject/not allowed).
extension NodeRuntime {
    /// The prologue binds both sides to Hopline's protocol version.
    static let prologue = Array("hopline call v1".utf8)

    var localOffer: CallOffer {
        CallOffer(
            bitrate: UInt32(settings.codec.bitrate), frameMilliseconds: UInt8(settings.codec.frameMilliseconds),
            forwardErrorCorrection: settings.codec.forwardErrorCorrection,
            discontinuousTransmission: settings.codec.discontinuousTransmission)
    }

    func startHandshake(_ call: CallContext, to peer: NodeID) throws {
        var handshake: NoiseIKHandshake
        do {
            handshake = try NoiseIKHandshake.initiator(identity: identity, remote: peer, prologue: Self.prologue)
            let message = try handshake.writeMessage(payload: localOffer.serialized())
            call.handshakeMessage = ControlPacket.handshakeInit(session: call.session, message: message).serialized()
        } catch {
            throw CallError.setupFailed("cannot start the handshake with \(peer): \(error)")
        }
        call.handshake = handshake
        let now = clock.now()
        call.handshakeRetry = PendingTransmission(bytes: call.handshakeMessage, now: now.milliseconds, schedule: retransmission)
        for target in call.handshakeTargets { socket.send(call.handshakeMessage, to: target) }
    }

    /// A connectivity check from `source` for our handshake: the peer's NAT mapping toward us is open there,
    /// so message 1 goes there too (a peer-reflexive candidate).
    func checkArrived(session: UInt32, from source: PeerAddress) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking else { return }
        if !call.handshakeTargets.contains(source) {
            call.handshakeTargets.append(source)
            event("new path candidate \(source) (peer-reflexive, from a connectivity check)")
        }
        socket.send(call.handshakeMessage, to: source)
    }

    func handshakeInitArrived(session: UInt32, message: [UInt8], from source: PeerAddress, at now: ClockInstant) {
        if let call, call.session == session {
            // A retransmission: our message 2 was lost, or it came along another path. Answer again.
            if call.role == .responder, !call.handshakeMessage.isEmpty { socket.send(call.handshakeMessage, to: source) }
            return
        }
        if let cached = refusedHandshakes[session] {
            socket.send(cached, to: source)
            return
        }
        guard let policy = listenPolicy else {
            counters.handshakeFailures += 1  // a caller does not take calls
            return
        }
        var handshake: NoiseIKHandshake
        let payload: [UInt8]
        do {
            handshake = try NoiseIKHandshake.responder(identity: identity, prologue: Self.prologue)
            payload = try handshake.readMessage(message)
        } catch {
            counters.handshakeFailures += 1
            socket.send(ControlPacket.handshakeRefused(session: session, reason: .undecryptable).serialized(), to: source)
            return
        }
        guard let peer = handshake.remoteNodeID, let offer = try? CallOffer(parsing: payload) else {
            counters.handshakeFailures += 1
            return
        }
        let answer: CallAnswer
        if let current = call, current.phase != .ended {
            answer = .busy
            counters.busyRefusals += 1
            event("refused a call from \(peer): busy")
        } else if !policy.acceptFrom.isEmpty && !policy.acceptFrom.contains(peer) {
            answer = .notAllowed
            event("refused a call from \(peer): not in --accept-from")
        } else {
            answer = policy.autoAnswer ? .accepted(localOffer) : .ringing
        }
        let reply: [UInt8]
        do {
            let message2 = try handshake.writeMessage(payload: answer.serialized())
            reply = ControlPacket.handshakeResponse(session: session, message: message2).serialized()
        } catch {
            counters.handshakeFailures += 1
            return
        }
        socket.send(reply, to: source)
        switch answer {
        case .busy, .notAllowed, .rejected:
            if refusedHandshakes.count > 64 { refusedHandshakes.removeAll() }
            refusedHandshakes[session] = reply
            return
        case .ringing, .accepted:
            break
        }
        let context = CallContext(role: .responder, session: session, label: peer.abbreviated, phase: .ringing, now: now)
        context.peerID = peer
        context.remote = source
        context.peerOffer = offer
        context.handshakeMessage = reply
        do {
            context.transport = try handshake.split()
        } catch {
            counters.handshakeFailures += 1
            return
        }
        context.handshake = handshake
        call = context
        if case .accepted = answer {
            event("incoming call from \(peer) at \(source): answered automatically")
            startMedia(context, now: now)
        } else {
            context.ringingSince = now
            context.awaitingLocalAnswer = true
            prompt?.discardPending()
            event("incoming call from \(peer) at \(source): answer? [y/n]")
        }
    }

    func handshakeResponseArrived(session: UInt32, message: [UInt8], from source: PeerAddress, at now: ClockInstant) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking,
            var handshake = call.handshake
        else { return }
        let payload: [UInt8]
        do {
            payload = try handshake.readMessage(message)
        } catch {
            counters.handshakeFailures += 1
            return
        }
        guard let answer = try? CallAnswer(parsing: payload), let transport = try? handshake.split() else {
            counters.handshakeFailures += 1
            return
        }
        call.handshake = handshake
        call.transport = transport
        call.handshakeRetry = nil
        call.remote = source
        call.lastHeard = now
        call.peerConfirmed = true
        switch answer {
        case .accepted(let offer):
            call.peerOffer = offer
            event("connected to \(call.peerLabel) at \(source) (direct)")
            startMedia(call, now: now)
            // Proves to the responder that message 1 was not replayed, so its media can start.
            sendKeepalive(call, now: now)
        case .ringing:
            call.phase = .ringing
            call.ringingSince = now
            event("ringing \(call.peerLabel) at \(source)...")
            sendKeepalive(call, now: now)
        case .busy: end(call, failure: .busy(target: call.peerLabel))
        case .rejected: end(call, failure: .rejected(target: call.peerLabel))
        case .notAllowed: end(call, failure: .notAllowed(target: call.peerLabel))
        }
    }

    func handshakeRefusedArrived(session: UInt32, reason: HandshakeRefusal, from source: PeerAddress) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking else { return }
        // Unauthenticated: believed only while no real answer came, and only from an address we tried.
        guard call.handshakeTargets.contains(source) else { return }
        end(call, failure: .handshakeRefused(target: "\(call.label) at \(source)", reason: reason.description))
    }

    /// The local user answered a ringing call.
    func answerLocally(_ call: CallContext, accept: Bool, now: ClockInstant) {
        call.awaitingLocalAnswer = false
        if accept {
            sendReliable(call, now: now) { .accept(sequence: $0, answer: .accepted(self.localOffer)) }
            event("answered; connected to \(call.peerLabel)")
            startMedia(call, now: now)
        } else {
            sendReliable(call, now: now) { .reject(sequence: $0) }
            event("rejected the call from \(call.peerLabel)")
            call.phase = .closing
            call.closingSince = now
        }
    }
}
