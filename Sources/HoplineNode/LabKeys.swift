import HoplineNet

/// The loopback lab's SRTP keys, derived as a call derives them: a real Noise IK handshake between two
/// throwaway identities, run in memory, then `SRTPMediaCipher(handshake:)` on each side. The keys differ
/// every run; nothing in the report depends on them (the SRTP overhead is the same for every key).
enum LabKeys {
    static func ciphers() throws -> (caller: SRTPMediaCipher, callee: SRTPMediaCipher) {
        let (initiator, responder) = try handshakes()
        return (try SRTPMediaCipher(handshake: initiator), try SRTPMediaCipher(handshake: responder))
    }

    /// Both sides of a completed Noise IK handshake between two fresh identities, run in memory.
    static func handshakes() throws -> (initiator: NoiseIKHandshake, responder: NoiseIKHandshake) {
        let callerIdentity = NodeIdentity.generate()
        let calleeIdentity = NodeIdentity.generate()
        var initiator = try NoiseIKHandshake.initiator(identity: callerIdentity, remote: calleeIdentity.nodeID)
        var responder = try NoiseIKHandshake.responder(identity: calleeIdentity)
        _ = try responder.readMessage(try initiator.writeMessage())
        _ = try initiator.readMessage(try responder.writeMessage())
        return (initiator, responder)
    }
}
