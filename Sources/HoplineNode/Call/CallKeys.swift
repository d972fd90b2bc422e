import HoplineCore
import HoplineNet

/// A call's keys and their epochs, both directions: the sealed-signaling cipher states, the SRTP cipher, and
/// the rekey chains that give each next epoch (`NoiseRekeyChain`).
///
/// The protocol (each side rotates what it sends, independently): when the policy says so, a side derives
/// its next outbound epoch and announces it in a reliable sealed `rekey` message, still sealed with the old
/// keys. The peer derives the same keys from its inbound chain, adds them to its receive epochs and
/// acknowledges; only on that acknowledgement does the side seal signaling with the new keys and stage them
/// for SRTP, so nothing is sent in an epoch the peer cannot open yet (a lost `rekey` or `ack` only delays the
/// switch). Receivers try the current epoch, then announced ones, then the previous one, which is dropped a
/// grace period after the peer's first packet in the new epoch. Sealed nonces keep counting across epochs,
/// so one replay window covers them all; each SRTP epoch has its own libsrtp2 replay window.
///
/// Owned by the node's loop thread (not thread-safe).
final class CallKeys {
    let media: SRTPMediaCipher
    private var outboundChain: NoiseRekeyChain
    private var inboundChain: NoiseRekeyChain
    private var sender: NoiseCipherState
    private var receivers: InboundKeyEpochs<NoiseCipherState>
    /// The epoch sealed signaling is sent in.
    private(set) var sendEpoch: UInt32 = 0
    /// When the current outbound epoch started, and sealed packets sent in it.
    private var epochStartedAt: ClockInstant
    private var sealedInEpoch: UInt64 = 0
    /// The rekey announced and not yet acknowledged: its message's sequence and its keys.
    private var pending: (sequence: UInt32, keys: NoiseRekeyChain.EpochKeys)?
    /// When the previous receive epochs (signaling, media) are dropped; nil while none is kept.
    private var signalingRetiresAt: (epoch: UInt32, at: ClockInstant)?
    private var mediaRetiresAt: (epoch: UInt32, at: ClockInstant)?

    init(handshake: NoiseIKHandshake, now: ClockInstant) throws {
        let transport = try handshake.split()
        let chains = try handshake.rekeyChains()
        media = try SRTPMediaCipher(handshake: handshake)
        outboundChain = chains.outbound
        inboundChain = chains.inbound
        sender = transport.sender
        receivers = InboundKeyEpochs(key: transport.receiver)
        epochStartedAt = now
    }

    /// The epoch the peer's sealed signaling currently opens in.
    var receiveEpoch: UInt32 { receivers.current }
    /// The newest epoch the peer announced.
    var announcedEpoch: UInt32 { inboundChain.epoch }
    /// Rekeys completed in both directions (outbound switches plus inbound epochs adopted).
    var rekeys: Int { Int(sendEpoch) + Int(receivers.current) }
    var rekeyInFlight: Bool { pending != nil }

    // MARK: sealing

    func seal(nonce: UInt64, _ plaintext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try sender.encrypt(nonce: nonce, plaintext, associatedData: associatedData)
        sealedInEpoch += 1
        return ciphertext
    }

    /// Opens a sealed packet with the current, an announced or the previous receive epoch; nil if none.
    func open(nonce: UInt64, _ ciphertext: [UInt8], associatedData: [UInt8]) -> [UInt8]? {
        let opened = receivers.open { cipher -> Result<[UInt8], NoiseError>? in
            (try? cipher.decrypt(nonce: nonce, ciphertext, associatedData: associatedData)).map { .success($0) }
        }
        guard let opened, case .success(let plaintext) = opened.result else { return nil }
        return plaintext
    }

    // MARK: rekeying

    /// Whether this side should start a rekey now: none in flight, and the epoch is old or has carried
    /// enough packets.
    func rekeyDue(now: ClockInstant, policy: RekeyPolicy) -> Bool {
        guard pending == nil else { return false }
        let packets = sealedInEpoch + (media.outboundEpoch == sendEpoch ? media.protectedInEpoch : 0)
        return now.milliseconds(since: epochStartedAt) >= policy.afterSeconds * 1000 || packets >= policy.afterPackets
    }

    /// When the epoch's time runs out (for the node's next deadline); nil while a rekey is in flight.
    func rekeyDeadline(policy: RekeyPolicy) -> ClockInstant? {
        pending == nil ? epochStartedAt.advanced(byNanoseconds: Int64(policy.afterSeconds * 1e9)) : nil
    }

    /// Derives the next outbound epoch, to announce in the message with reliable sequence `sequence`.
    func beginRekey(sequence: UInt32) -> UInt32 {
        let keys = outboundChain.advance()
        pending = (sequence, keys)
        return keys.epoch
    }

    /// The peer acknowledged `sequence`: if it was the rekey announcement, switch to the new epoch (sealed
    /// at once, SRTP from the next packet away from the sequence wrap). An unanswered announcement is never
    /// given up on by itself: its retransmissions end the call if the peer stays silent.
    func acknowledged(_ sequence: UInt32, now: ClockInstant) throws {
        guard let pending, pending.sequence == sequence else { return }
        self.pending = nil
        sender = pending.keys.signaling
        sendEpoch = pending.keys.epoch
        epochStartedAt = now
        sealedInEpoch = 0
        try media.stageOutbound(epoch: pending.keys.epoch, keys: SRTPKeyMaterial(deriving: pending.keys.srtp))
    }

    /// The peer announced its next epoch. Only the one after the last announced is taken (anything else is
    /// a peer out of step, counted by the caller); returns whether it was.
    func peerAnnounced(epoch: UInt32) throws -> Bool {
        guard epoch == inboundChain.epoch &+ 1, epoch != 0 else { return false }
        let keys = inboundChain.advance()
        receivers.announce(epoch: keys.epoch, key: keys.signaling)
        try media.announceInbound(epoch: keys.epoch, keys: SRTPKeyMaterial(deriving: keys.srtp))
        return true
    }

    /// Drops previous receive epochs whose grace period is over; starts the grace period of any newly kept
    /// (counted from the first tick after the peer's first packet in the new epoch).
    func tick(now: ClockInstant, policy: RekeyPolicy) {
        let grace = Int64(policy.graceSeconds * 1e9)
        if Self.due(&signalingRetiresAt, kept: receivers.hasPrevious, epoch: receivers.current, now: now, grace: grace) {
            receivers.retirePrevious()
        }
        if Self.due(&mediaRetiresAt, kept: media.hasPreviousInbound, epoch: media.inboundEpoch, now: now, grace: grace) {
            media.retirePreviousInbound()
        }
    }

    /// Whether a kept previous epoch's grace is over; (re)starts it when the current epoch changed.
    private static func due(
        _ retire: inout (epoch: UInt32, at: ClockInstant)?, kept: Bool, epoch: UInt32, now: ClockInstant, grace: Int64
    ) -> Bool {
        guard kept else {
            retire = nil
            return false
        }
        if retire?.epoch != epoch { retire = (epoch, now.advanced(byNanoseconds: grace)) }
        guard let deadline = retire?.at, now >= deadline else { return false }
        retire = nil
        return true
    }
}
