import Foundation
import HoplineCore
import HoplineNet

/// Noise IK handshakes: the initiator's message 1 (with the offer) and its retransmission on every candidate
/// path; the responder's message 2 (ringing/accept/busy/reject/not allowed) on the path message 1 came by.
extension CallEngine {
    /// The prologue binds both sides to Hopline's protocol version.
    static let prologue = Array("hopline call v1".utf8)

    var localOffer: CallOffer { offer(relayLinks: []) }

    /// The offer, with the relay sessions in `relayLinks` as relayed candidates (the caller's message 1).
    func offer(relayLinks: [Int]) -> CallOffer {
        CallOffer(
            bitrate: UInt32(settings.codec.bitrate), frameMilliseconds: UInt8(settings.codec.frameMilliseconds),
            forwardErrorCorrection: settings.codec.forwardErrorCorrection,
            discontinuousTransmission: settings.codec.discontinuousTransmission,
            relayCandidates: relayLinks.compactMap { id in
                guard let link = relays.link(id), let token = link.token else { return nil }
                return Candidate(kind: .relayed, address: link.relay, relayToken: token.bytes)
            },
            timestamp: nextOfferTimestamp(), redundantAudio: settings.redundantAudio)
    }

    /// Milliseconds since 1970, and always more than the last offer's (a clock step back cannot make a new
    /// call look like a replay to a callee that saw the old one).
    private func nextOfferTimestamp() -> UInt64 {
        let timestamp = max(UInt64(max(0, Date().timeIntervalSince1970 * 1000)), lastOfferTimestamp + 1)
        lastOfferTimestamp = timestamp
        return timestamp
    }

    /// Places a call to `peer`: message 1 goes on every path in `targets` (direct addresses, and the relay
    /// sessions in `relayLinks` once joined) until one answers.
    func startCall(to peer: NodeID, label: String, targets: [PathKey], relayLinks: [Int], now: ClockInstant) throws {
        let session = pendingSession ?? UInt32.random(in: 1 ... .max)
        pendingSession = nil
        let call = CallContext(role: .initiator, session: session, label: label, phase: .handshaking, now: now)
        call.peerID = peer
        call.handshakeTargets = targets
        call.relayLinks = relayLinks
        for target in targets { call.paths.add(target) }
        var handshake: NoiseIKHandshake
        do {
            handshake = try NoiseIKHandshake.initiator(identity: identity, remote: peer, prologue: Self.prologue)
            let message = HandshakeMAC(responderStaticKey: peer.publicKey).appending(
                to: try handshake.writeMessage(payload: offer(relayLinks: relayLinks).serialized()), session: call.session)
            call.noiseMessage1 = message
            call.handshakeMessage = ControlPacket.handshakeInit(session: call.session, message: message).serialized()
        } catch {
            throw CallError.setupFailed("cannot start the handshake with \(peer): \(error)")
        }
        call.handshake = handshake
        call.handshakeRetry = PendingTransmission(bytes: call.handshakeMessage, now: now.milliseconds, schedule: retransmission)
        self.call = call
        for id in relayLinks {
            if let link = relays.link(id), let channel = link.channel {
                adoptRelayPath(call, relay: link.relay, channel: channel, linkID: id, now: now)
            }
        }
        sendHandshake(call)
    }

    /// Message 1 on every target path: with the responder's cookie where it asked for one.
    func sendHandshake(_ call: CallContext) {
        for target in call.handshakeTargets { sendHandshake(call, on: target) }
    }

    func sendHandshake(_ call: CallContext, on target: PathKey) {
        if let cookie = call.handshakeCookies[target] {
            environment.send(
                ControlPacket.handshakeInitWithCookie(session: call.session, cookie: cookie, message: call.noiseMessage1)
                    .serialized(), on: target)
        } else {
            environment.send(call.handshakeMessage, on: target)
        }
    }

    /// A busy responder asks for its cookie before any DH work: send message 1 again with it, on that path.
    func handshakeCookieArrived(session: UInt32, cookie: [UInt8], on path: PathKey) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking,
            call.handshakeTargets.contains(path)
        else { return }
        call.handshakeCookies[path] = cookie
        sendHandshake(call, on: path)
    }

    /// Message 1, with or without a cookie. Retransmissions of the live handshake and refused ones are cheap
    /// and answered as before; a new one costs DH work, so a responder flooded with them (more than
    /// `HandshakeLoadMeter.threshold` a second) looks at only 4 a second from each source
    /// (`HandshakeSourceLimiter`), and first answers with a cookie that only the sender's real address receives
    /// (smaller than message 1), taking message 1 only when it comes back with it. Before any of that, mac1
    /// (`HandshakeMAC`) drops message 1s not meant for this node, blind garbage included.
    func handshakeInitReceived(session: UInt32, message: [UInt8], cookie: [UInt8]?, on path: PathKey, at now: ClockInstant) {
        let known = call?.session == session || refusedHandshakes[session] != nil
        let busy = !known && handshakeLoad.note(at: now)
        if busy, !messageOneLimiter.allow(path, at: now) {
            environment.counters.handshakeRateLimited += 1
            return
        }
        guard let noiseMessage = ownHandshakeMAC.verified(message, session: session) else {
            // Blind garbage, or a caller with another node ID: no DH work. Told so while the node is quiet.
            environment.counters.handshakeMacRejected += 1
            if !known, !busy {
                environment.send(ControlPacket.handshakeRefused(session: session, reason: .undecryptable).serialized(), on: path)
            }
            return
        }
        if !known {
            if let cookie {
                guard handshakeCookies.check(cookie, from: path.nextHop.socketAddress, now: now) else {
                    environment.counters.handshakeCookiesRejected += 1
                    return
                }
            } else if busy {
                environment.counters.handshakeCookiesSent += 1
                let reply = ControlPacket.handshakeCookie(
                    session: session, cookie: handshakeCookies.cookie(for: path.nextHop.socketAddress, now: now))
                environment.send(reply.serialized(), on: path)
                return
            }
        }
        handshakeInitArrived(session: session, message: Array(noiseMessage), on: path, at: now)
    }

    /// A connectivity check from the peer for our handshake: its NAT mapping toward us is open there, so
    /// message 1 goes there too (a peer-reflexive candidate).
    func checkArrived(session: UInt32, on path: PathKey) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking else { return }
        if !call.handshakeTargets.contains(path) {
            call.handshakeTargets.append(path)
            call.paths.add(path)
            environment.event("new path candidate \(path) (peer-reflexive, from a connectivity check)")
        }
        sendHandshake(call, on: path)
    }

    func handshakeInitArrived(session: UInt32, message: [UInt8], on path: PathKey, at now: ClockInstant) {
        onHandshakeArrived(session)
        if let call, call.session == session {
            // A retransmission: our message 2 was lost, or it came along another path. Answer again there.
            if call.role == .responder, !call.handshakeMessage.isEmpty {
                call.paths.add(path)
                environment.send(call.handshakeMessage, on: path)
            }
            return
        }
        if let cached = refusedHandshakes[session] {
            environment.send(cached, on: path)
            return
        }
        guard let policy = listenPolicy else {
            environment.counters.handshakeFailures += 1  // a caller does not take calls
            return
        }
        var handshake: NoiseIKHandshake
        let payload: [UInt8]
        do {
            handshake = try NoiseIKHandshake.responder(identity: identity, prologue: Self.prologue)
            payload = try handshake.readMessage(message)
        } catch {
            environment.counters.handshakeFailures += 1
            environment.send(ControlPacket.handshakeRefused(session: session, reason: .undecryptable).serialized(), on: path)
            return
        }
        guard let peer = handshake.remoteNodeID, let offer = try? CallOffer(parsing: payload) else {
            environment.counters.handshakeFailures += 1
            return
        }
        // Message 1 is authenticated as the caller's, but anyone who saw it could send it again: only a newer
        // timestamp than the caller's last is a new call.
        guard replayGuard.admit(offer.timestamp, from: peer) else {
            environment.counters.handshakeReplays += 1
            return
        }
        let answer: CallAnswer
        if let current = call, current.phase != .ended {
            answer = .busy
            environment.counters.busyRefusals += 1
            environment.event("refused a call from \(peer): busy")
        } else if !policy.acceptFrom.isEmpty && !policy.acceptFrom.contains(peer) {
            answer = .notAllowed
            environment.event("refused a call from \(peer): not in --accept-from")
        } else {
            answer = policy.autoAnswer ? .accepted(localOffer) : .ringing
        }
        let reply: [UInt8]
        do {
            let message2 = try handshake.writeMessage(payload: answer.serialized())
            reply = ControlPacket.handshakeResponse(session: session, message: message2).serialized()
        } catch {
            environment.counters.handshakeFailures += 1
            return
        }
        environment.send(reply, on: path)
        switch answer {
        case .busy, .notAllowed, .rejected:
            if refusedHandshakes.count > 64 { refusedHandshakes.removeAll() }
            refusedHandshakes[session] = reply
            return
        case .ringing, .accepted:
            break
        }
        if call != nil { finishCall() }  // the previous, ended call
        let context = CallContext(role: .responder, session: session, label: peer.abbreviated, phase: .ringing, now: now)
        context.peerID = peer
        context.peerOffer = offer
        context.handshakeMessage = reply
        do {
            context.keys = try CallKeys(handshake: handshake, now: now)
        } catch {
            environment.counters.handshakeFailures += 1
            return
        }
        // The completed handshake is not kept: its chaining key would re-derive every epoch's keys.
        _ = context.paths.activate(path)
        call = context
        // The caller's relay sessions (from the offer, or already joined on the rendezvous' introduction)
        // become standby paths once joined.
        for candidate in offer.relayCandidates {
            guard let bytes = candidate.relayToken, let token = try? RelayToken(parsing: bytes) else { continue }
            relays.join(candidate.address, token: token, side: .callee, callSession: session, now: now)
        }
        for link in relays.links.values where link.callSession == session {
            context.relayLinks.append(link.id)
            if let channel = link.channel, link.state == .joined {
                adoptRelayPath(context, relay: link.relay, channel: channel, linkID: link.id, now: now)
            }
        }
        let via = path.isRelayed ? " via \(path.kindName)" : ""
        if case .accepted = answer {
            environment.event("incoming call from \(peer) at \(path.nextHop)\(via): answered automatically")
            startMedia(context, now: now)
        } else {
            context.ringingSince = now
            context.awaitingLocalAnswer = true
            prompt?.discardPending()
            environment.event("incoming call from \(peer) at \(path.nextHop)\(via): answer? [y/n]")
        }
    }

    func handshakeResponseArrived(session: UInt32, message: [UInt8], on path: PathKey, at now: ClockInstant) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking,
            var handshake = call.handshake
        else { return }
        let payload: [UInt8]
        do {
            payload = try handshake.readMessage(message)
        } catch {
            environment.counters.handshakeFailures += 1
            return
        }
        guard let answer = try? CallAnswer(parsing: payload), let keys = try? CallKeys(handshake: handshake, now: now) else {
            environment.counters.handshakeFailures += 1
            return
        }
        call.handshake = nil  // completed: `keys` has all it needs, and the chaining key is not kept (rekeying)
        call.keys = keys
        call.handshakeRetry = nil
        call.lastHeard = now
        call.peerConfirmed = true
        call.paths.heard(path, at: now, media: false)
        _ = call.paths.activate(path)
        switch answer {
        case .accepted(let offer):
            call.peerOffer = offer
            environment.event("connected to \(call.peerLabel) at \(path.nextHop) (\(path.kindName))")
            startMedia(call, now: now)
            // Proves to the responder that message 1 was not replayed, so its media can start.
            sendKeepalive(call, on: path, now: now)
        case .ringing:
            call.phase = .ringing
            call.ringingSince = now
            environment.event("ringing \(call.peerLabel) at \(path.nextHop) (\(path.kindName))...")
            sendKeepalive(call, on: path, now: now)
        case .busy: end(call, failure: .busy(target: call.peerLabel))
        case .rejected: end(call, failure: .rejected(target: call.peerLabel))
        case .notAllowed: end(call, failure: .notAllowed(target: call.peerLabel))
        }
    }

    func handshakeRefusedArrived(session: UInt32, reason: HandshakeRefusal, on path: PathKey) {
        guard let call, call.session == session, call.role == .initiator, call.phase == .handshaking else { return }
        // Unauthenticated: believed only while no real answer came, and only from a path we tried.
        guard call.handshakeTargets.contains(path) else { return }
        end(call, failure: .handshakeRefused(target: "\(call.label) at \(path.nextHop)", reason: reason.description))
    }

    /// The local user answered a ringing call.
    func answerLocally(_ call: CallContext, accept: Bool, now: ClockInstant) {
        call.awaitingLocalAnswer = false
        if accept {
            sendReliable(call, now: now) { .accept(sequence: $0, answer: .accepted(self.localOffer)) }
            environment.event("answered; connected to \(call.peerLabel)")
            startMedia(call, now: now)
        } else {
            sendReliable(call, now: now) { .reject(sequence: $0) }
            environment.event("rejected the call from \(call.peerLabel)")
            call.phase = .closing
            call.closingSince = now
        }
    }
}
