import HoplineCore
import HoplineNet

/// Rekeying during a call (`CallKeys` describes the protocol): this side announces its next outbound epoch
/// when the policy says so and switches on the acknowledgement; the peer's announcements add receive epochs.
extension CallEngine {
    /// Starts a rekey when one is due, and ends the grace of old receive epochs.
    func tickRekey(_ call: CallContext, keys: CallKeys, now: ClockInstant) {
        keys.tick(now: now, policy: settings.rekey)
        guard call.phase == .ringing || call.phase == .active, keys.rekeyDue(now: now, policy: settings.rekey) else { return }
        sendReliable(call, now: now) { sequence in .rekey(sequence: sequence, epoch: keys.beginRekey(sequence: sequence)) }
    }

    /// An acknowledgement arrived: if it was for our rekey, the new epoch starts now.
    func rekeyAcknowledged(_ call: CallContext, sequence: UInt32, now: ClockInstant) {
        guard let keys = call.keys else { return }
        do {
            try keys.acknowledged(sequence, now: now)
        } catch {
            environment.event("cannot switch to the new media keys: \(error)")
            hangUp(call, reason: .hangUp)
        }
    }

    /// The peer's `rekey`, authenticated and not a replay. Acknowledged only when it is the epoch after the
    /// last one announced (a duplicate of that one is acknowledged again); any other epoch is counted and
    /// left unanswered, so the peer never switches to keys this side did not derive.
    func peerRekeyArrived(_ call: CallContext, sequence: UInt32, epoch: UInt32, on path: PathKey) {
        guard let keys = call.keys else { return }
        if call.processedSequences.contains(sequence) {
            sendSealed(call, .ack(acknowledged: sequence), on: path)
            return
        }
        let taken: Bool
        do {
            taken = try keys.peerAnnounced(epoch: epoch)
        } catch {
            taken = false
        }
        guard taken else {
            environment.counters.rekeyRejected += 1
            return
        }
        call.processedSequences.insert(sequence)
        sendSealed(call, .ack(acknowledged: sequence), on: path)
    }
}
