import HoplineNet

/// A call's media encryption with libsrtp2 (AEAD_AES_128_GCM): an outbound and an inbound `SRTPSession` per
/// key epoch, keyed from the Noise handshake (epoch 0, one exported key per direction, so the two directions
/// never share keys) and then from the rekey chains (`CallKeys`).
///
/// Rekeying without a gap: a new outbound epoch is staged and used from the next packet on, except within
/// `switchMargin` sequence numbers of the 16-bit wrap (then from the first packet after it). A new session's
/// rollover counter starts at 0 on both sides, and the receiver takes its first packet of an epoch to be
/// before the sender's first wrap in it; switching far from the wrap keeps that true unless thousands of
/// packets in a row are lost. The inbound side keeps the current, announced and previous epochs'
/// sessions (`InboundKeyEpochs`), each with its own replay window, so packets reordered across the switch
/// still open and a replay is refused in whichever epoch it belongs to.
///
/// Not thread-safe: owned by the node's loop thread.
public final class SRTPMediaCipher: MediaCipher {
    /// Sequence numbers before the wrap (65535 -> 0) within which a staged outbound epoch waits for the wrap:
    /// 4096 packets is 82 s of 20 ms frames.
    public static let switchMargin = 4_096

    /// The session outgoing packets (and reports) are protected with.
    private(set) var outbound: SRTPSession
    private var staged: (epoch: UInt32, session: SRTPSession)?
    /// The current, announced and previous epochs' inbound sessions.
    private var inbound: InboundKeyEpochs<SRTPSession>
    /// The epoch outgoing packets are protected in.
    public private(set) var outboundEpoch: UInt32 = 0
    /// Packets protected in the current outbound epoch.
    public private(set) var protectedInEpoch: UInt64 = 0
    /// Packets that opened only under the previous inbound epoch (sent before the peer's switch, arrived after).
    public private(set) var previousEpochPackets = 0

    /// Derives both directions' epoch-0 keys from a completed handshake.
    public init(handshake: NoiseIKHandshake) throws {
        let material = try handshake.srtpKeyingMaterial(length: SRTPKeyMaterial.length)
        outbound = try SRTPSession(direction: .outbound, keys: SRTPKeyMaterial(deriving: material.outbound))
        inbound = InboundKeyEpochs(key: try SRTPSession(direction: .inbound, keys: SRTPKeyMaterial(deriving: material.inbound)))
    }

    /// The epoch the peer's packets currently open in.
    public var inboundEpoch: UInt32 { inbound.current }
    /// Whether the previous inbound epoch's session is still kept.
    public var hasPreviousInbound: Bool { inbound.hasPrevious }
    /// Whether an outbound epoch waits for its first packet.
    public var hasStagedOutbound: Bool { staged != nil }

    /// Protects outgoing packets with `keys` from the next packet that is not just before a wrap. A staged
    /// epoch never used is replaced (the peer accepts any announced epoch).
    public func stageOutbound(epoch: UInt32, keys: SRTPKeyMaterial) throws {
        precondition(epoch > outboundEpoch, "a staged outbound epoch must be newer")
        staged = (epoch, try SRTPSession(direction: .outbound, keys: keys))
    }

    /// The peer announced `epoch`: its packets may open with `keys` from now on.
    public func announceInbound(epoch: UInt32, keys: SRTPKeyMaterial) throws {
        inbound.announce(epoch: epoch, key: try SRTPSession(direction: .inbound, keys: keys))
    }

    /// The grace period of the previous inbound epoch is over.
    public func retirePreviousInbound() { inbound.retirePrevious() }

    public func protect(_ rtp: [UInt8]) throws -> [UInt8] {
        if let next = staged, rtp.count >= 4 {
            let sequence = Int(rtp[2]) << 8 | Int(rtp[3])
            if sequence < 65_536 - Self.switchMargin {
                outbound = next.session
                outboundEpoch = next.epoch
                staged = nil
                protectedInEpoch = 0
            }
        }
        let packet = try outbound.protect(rtp)
        protectedInEpoch += 1
        return packet
    }

    public func unprotect(_ srtp: [UInt8]) throws(MediaCipherRejection) -> [UInt8] {
        try openInbound { session throws(SRTPError) in try session.unprotect(srtp) }
    }

    /// Opens an incoming SRTP or SRTCP packet with the inbound epochs' sessions in turn (`InboundKeyEpochs`):
    /// a packet forged under one epoch's key may be sealed under another's; any other refusal is final.
    func openInbound(_ unprotect: (SRTPSession) throws(SRTPError) -> [UInt8]) throws(MediaCipherRejection) -> [UInt8] {
        var firstRefusal: MediaCipherRejection?
        let opened = inbound.open { session -> Result<[UInt8], MediaCipherRejection>? in
            do throws(SRTPError) {
                return .success(try unprotect(session))
            } catch {
                let rejection = Self.rejection(error)
                if firstRefusal == nil { firstRefusal = rejection }
                // Forged under this key: perhaps sealed under another epoch's.
                return rejection == .forged ? nil : .failure(rejection)
            }
        }
        guard let opened else { throw firstRefusal ?? .forged }
        if opened.epoch < inbound.current, case .success = opened.result { previousEpochPackets += 1 }
        return try opened.result.get()
    }

    /// The counter an SRTP or SRTCP failure belongs in.
    static func rejection(_ error: SRTPError) -> MediaCipherRejection {
        switch error.category {
        case .replayed: return .replayed
        case .forged: return .forged
        case .malformed: return .malformed
        case .other: return .other(error.description)
        }
    }
}
