import HoplineCore
import HoplineNet

/// The state of the one call a node is in: handshake, transport keys, signaling reliability, liveness and
/// media. Owned by the node's loop thread (not thread-safe).
final class CallContext {
    enum Role { case initiator, responder }

    enum Phase: String {
        /// Initiator: message 1 sent, waiting for message 2.
        case handshaking = "calling"
        /// The callee's user is being asked (either side's view).
        case ringing
        case active
        /// Bye sent, waiting for its acknowledgement.
        case closing
        case ended
    }

    let role: Role
    let session: UInt32
    /// What the user typed (or the caller's node ID), for messages.
    let label: String
    var phase: Phase
    var peerID: NodeID?
    /// Where packets for the peer go: set by the first handshake answer and then follows the peer
    /// (symmetric latching on every authenticated packet).
    var remote: PeerAddress?
    /// Initiator: every address message 1 goes to until one answers.
    var handshakeTargets: [PeerAddress] = []
    var handshake: NoiseIKHandshake?
    /// Message 1 (initiator) or message 2 (responder), resent as-is on retransmission or duplicates.
    var handshakeMessage: [UInt8] = []
    var handshakeRetry: PendingTransmission?
    var transport: NoiseTransport?
    var sendNonce: UInt64 = 0
    var replay = NoiseReplayWindow()
    var nextSequence: UInt32 = 1
    var unacknowledged: [UInt32: PendingTransmission] = [:]
    var processedSequences: Set<UInt32> = []
    var lastHeard: ClockInstant
    var nextKeepalive: ClockInstant
    var rttMilliseconds: Double?
    var media: MediaSession?
    var peerOffer: CallOffer?
    /// The peer has sent an authenticated transport packet (proves message 1 was not a replay).
    var peerConfirmed = false
    let startedAt: ClockInstant
    var activeSince: ClockInstant?
    var ringingSince: ClockInstant?
    var closingSince: ClockInstant?
    /// Responder: waiting for the local user's y/n.
    var awaitingLocalAnswer = false
    /// Why it ended; nil for a clean end.
    var failure: CallError?
    var endMessage: String?
    var reportedFirstAudio = false

    init(role: Role, session: UInt32, label: String, phase: Phase, now: ClockInstant) {
        self.role = role
        self.session = session
        self.label = label
        self.phase = phase
        lastHeard = now
        nextKeepalive = now
        startedAt = now
    }

    var peerLabel: String { peerID.map { $0.abbreviated } ?? label }
}
