import Crypto
import HoplineCore
import HoplineNet

/// The encrypted paths: Noise IK handshake messages, sealed signaling, and SRTP/SRTCP. Keys, identities and
/// ephemerals are fixed (`FuzzKeys`) so every input replays the same way, and so the seed corpus can hold
/// messages these fixtures really accept.
extension FuzzTarget {
    /// Noise IK message 1 read by a responder with a fixed identity (first byte even), or message 2 read by an
    /// initiator that sent `FuzzKeys.message1` (odd); a payload that decrypts goes to `CallOffer`/`CallAnswer`.
    static let noise = FuzzTarget("noise", prepare: { _ = FuzzKeys.shared }) { bytes in
        guard let selector = bytes.first else { return }
        let message = Array(bytes.dropFirst())
        let keys = FuzzKeys.shared
        if selector & 1 == 0 {
            var responder = keys.responder
            guard let payload = try? responder.readMessage(message) else { return }
            _ = try? CallOffer(parsing: payload)
            _ = responder.remoteNodeID
            guard (try? responder.writeMessage(payload: CallAnswer.ringing.serialized())) != nil else { return }
            _ = try? responder.split()
        } else {
            var initiator = keys.initiatorAfterMessage1
            guard let payload = try? initiator.readMessage(message) else { return }
            _ = try? CallAnswer(parsing: payload)
            _ = try? initiator.split()
        }
    }

    /// Sealed signaling (`ControlPacket.sealed` + `NoiseTransport.decrypt(nonce:)` + `SignalMessage`), as
    /// `CallEngine.sealedArrived` reads it. First byte even: the rest is a datagram (one seed is genuine, so
    /// mutations of it reach the decryption with a valid layout), and its bytes are also a run of nonces for the
    /// replay window. Odd: the rest is a plaintext
    /// that the fixed peer seals, so the parser behind the authentication sees every byte pattern.
    static let sealed = FuzzTarget("sealed", prepare: { _ = FuzzKeys.shared }) { bytes in
        guard let selector = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        let keys = FuzzKeys.shared
        if selector & 1 == 0 {
            if case .sealed(let session, let nonce, let ciphertext)? = try? ControlPacket(parsing: rest) {
                if let plaintext = try? keys.responderTransport.decrypt(
                    nonce: nonce, ciphertext, associatedData: FuzzKeys.sealedHeader(session: session, nonce: nonce)) {
                    _ = try? SignalMessage(parsing: plaintext)
                }
            }
            var window = NoiseReplayWindow()
            var index = 0
            while index + 8 <= rest.count {
                let nonce = rest[index..<index + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                if window.wouldAccept(nonce) { fuzzCheck(window.accept(nonce), "replay window: wouldAccept but not accept") }
                fuzzCheck(!window.wouldAccept(nonce), "replay window accepts nonce \(nonce) twice")
                index += 8
            }
        } else {
            let session: UInt32 = 0x0102_0304
            let nonce = UInt64(rest.count)
            let header = FuzzKeys.sealedHeader(session: session, nonce: nonce)
            guard let ciphertext = try? keys.initiatorTransport.encrypt(nonce: nonce, rest, associatedData: header) else {
                return
            }
            let datagram = ControlPacket.sealed(session: session, nonce: nonce, ciphertext: ciphertext).serialized()
            guard case .sealed(let gotSession, let gotNonce, let gotCiphertext)? = try? ControlPacket(parsing: datagram) else {
                fuzzCheck(false, "a sealed packet the node built does not parse")
                return
            }
            let plaintext = try? keys.responderTransport.decrypt(
                nonce: gotNonce, gotCiphertext, associatedData: FuzzKeys.sealedHeader(session: gotSession, nonce: gotNonce))
            fuzzCheck(plaintext == rest, "sealed round trip")
            if let message = try? SignalMessage(parsing: rest) {
                fuzzCheck((try? SignalMessage(parsing: message.serialized())) == message, "signal round trip")
            }
        }
    }

    /// `SRTPSession.unprotect` (first byte even) or `unprotectRTCP` (odd) on an inbound session with fixed keys;
    /// decrypted RTP goes to `RTPPacket`. Only an accepted packet changes the session (its replay window), so the
    /// session is replaced after one, and every input meets the same state.
    static let srtp = FuzzTarget("srtp", prepare: { FuzzSRTP.reset() }) { bytes in
        guard let selector = bytes.first, let session = FuzzSRTP.session else { return }
        let packet = Array(bytes.dropFirst())
        if selector & 1 == 0 {
            guard let rtp = try? session.unprotect(packet) else { return }
            _ = try? RTPPacket(parsing: rtp)
            fuzzCheck((try? session.unprotect(packet)) == nil, "SRTP replay accepted")
        } else {
            guard let rtcp = try? session.unprotectRTCP(packet) else { return }
            _ = try? RTCPPacket(parsing: rtcp)
            fuzzCheck((try? session.unprotectRTCP(packet)) == nil, "SRTCP replay accepted")
        }
        FuzzSRTP.reset()
    }
}

/// The `srtp` target's inbound session (one fuzzing thread).
enum FuzzSRTP {
    nonisolated(unsafe) static var session: SRTPSession?

    static func reset() {
        session = nil
        session = try? SRTPSession(direction: .inbound, keys: FuzzKeys.shared.srtp)
        fuzzCheck(session != nil, "cannot create an SRTP session")
    }
}

/// The fixed identities, handshakes and keys the crypto targets and their seeds use. Built once; the
/// handshakes are value types, so each input works on its own copy.
struct FuzzKeys: @unchecked Sendable {
    static let shared = FuzzKeys()
    /// What `CallEngine` uses, so seeds are what a real node sends.
    static let prologue = Array("hopline call v1".utf8)

    let caller: NodeIdentity
    let callee: NodeIdentity
    /// A responder (the callee) before message 1.
    let responder: NoiseIKHandshake
    /// The caller's message 1 (offer payload) and the initiator that wrote it, waiting for message 2.
    let message1: [UInt8]
    let initiatorAfterMessage1: NoiseIKHandshake
    /// The callee's message 2 (a ringing answer) to `message1`.
    let message2: [UInt8]
    let initiatorTransport: NoiseTransport
    let responderTransport: NoiseTransport
    let srtp: SRTPKeyMaterial

    init() {
        caller = try! NodeIdentity(seed: [UInt8](repeating: 0x11, count: 32))
        callee = try! NodeIdentity(seed: [UInt8](repeating: 0x22, count: 32))
        let callerEphemeral = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x33, count: 32))
        let calleeEphemeral = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x44, count: 32))
        responder = try! NoiseIKHandshake.responder(
            localStatic: callee.keyAgreementPrivateKey, prologue: Self.prologue, ephemeral: calleeEphemeral)
        var initiator = try! NoiseIKHandshake.initiator(
            localStatic: caller.keyAgreementPrivateKey, remoteStatic: callee.keyAgreementPrivateKey.publicKey,
            prologue: Self.prologue, ephemeral: callerEphemeral)
        let offer = CallOffer(bitrate: 24_000, frameMilliseconds: 20, forwardErrorCorrection: true, discontinuousTransmission: false)
        message1 = try! initiator.writeMessage(payload: offer.serialized())
        initiatorAfterMessage1 = initiator
        var answering = responder
        _ = try! answering.readMessage(message1)
        message2 = try! answering.writeMessage(payload: CallAnswer.ringing.serialized())
        _ = try! initiator.readMessage(message2)
        initiatorTransport = try! initiator.split()
        responderTransport = try! answering.split()
        srtp = try! SRTPKeyMaterial(masterKey: [UInt8](repeating: 0x55, count: 16), masterSalt: [UInt8](repeating: 0x66, count: 12))
    }

    /// The associated data of a sealed packet: its header (type, session, nonce), as `CallEngine` builds it.
    static func sealedHeader(session: UInt32, nonce: UInt64) -> [UInt8] {
        var header: [UInt8] = [ControlPacketType.sealed.rawValue]
        for shift in stride(from: 24, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: session >> UInt32(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: nonce >> UInt64(shift))) }
        return header
    }
}
