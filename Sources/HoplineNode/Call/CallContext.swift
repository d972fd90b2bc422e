import HoplineCore
import HoplineNet

/// The state of the one call a node is in: handshake, transport keys, signaling reliability, its set of
/// paths (direct and relayed, one active) and media. Owned by the node's loop thread (not thread-safe).
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
    /// Every way the call may reach the peer, each with its own liveness and RTT; one is active.
    var paths = CallPathSet()
    /// Initiator: every path message 1 goes on until one answers (direct addresses and relay sessions).
    var handshakeTargets: [PathKey] = []
    /// The relay sessions (`RelayLinks` ids) this call holds, left when it ends.
    var relayLinks: [Int] = []
    /// When each relayed path was last re-proved to its relay (NAT mapping changes).
    var lastReprove: [PathKey: ClockInstant] = [:]
    /// Initiator: the handshake in progress (dropped once complete: `keys` takes over).
    var handshake: NoiseIKHandshake?
    /// Message 1 (initiator) or message 2 (responder), resent as-is on retransmission or duplicates.
    var handshakeMessage: [UInt8] = []
    /// Initiator: the Noise message 1 and its mac1 inside `handshakeMessage` (sent with a cookie where one was
    /// asked for).
    var noiseMessage1: [UInt8] = []
    /// Initiator: the cookies busy responders asked for, by path (message 1 goes with it there).
    var handshakeCookies: [PathKey: [UInt8]] = [:]
    var handshakeRetry: PendingTransmission?
    /// The transport and media keys with their epochs, once the handshake is complete.
    var keys: CallKeys?
    var sendNonce: UInt64 = 0
    var replay = NoiseReplayWindow()
    var nextSequence: UInt32 = 1
    var unacknowledged: [UInt32: PendingTransmission] = [:]
    var processedSequences: Set<UInt32> = []
    var lastHeard: ClockInstant
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
        startedAt = now
    }

    var peerLabel: String { peerID.map { $0.abbreviated } ?? label }

    /// The active path's RTT (from sealed keepalive echoes), ms.
    var rttMilliseconds: Double? { paths.active.flatMap { paths.paths[$0]?.rttMilliseconds } }
}
