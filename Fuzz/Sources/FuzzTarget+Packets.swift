import HoplineCore
import HoplineNet

/// The wire formats that arrive in datagrams. Each accepted packet must serialize to bytes that parse back to
/// the same value (what the node or relay re-sends or logs is what it understood).
extension FuzzTarget {
    /// `RTPPacket(parsing:)`: media after SRTP, and the impairment proxy's view of a packet.
    /// Also parsed from a slice that does not start at index 0 (the media path hands over slices). A payload
    /// is also parsed as RED (RFC 2198, `REDPayload`), as the receiver does for payload type 63.
    static let rtp = FuzzTarget("rtp") { bytes in
        let fromSlice = try? RTPPacket(parsing: bytes.dropFirst())
        fuzzCheck(fromSlice == (try? RTPPacket(parsing: Array(bytes.dropFirst()))), "RTP parse of a slice differs")
        guard let packet = try? RTPPacket(parsing: bytes) else { return }
        fuzzCheck((try? RTPPacket(parsing: packet.serialized())) == packet, "RTP round trip")
        guard let red = try? REDPayload(parsing: packet.payload) else { return }
        fuzzCheck((try? REDPayload(parsing: red.serialized())) == red, "RED round trip")
    }

    /// `RTCPPacket(parsing:)` (the first packet of a compound) and the RTP/RTCP demultiplexing test.
    static let rtcp = FuzzTarget("rtcp") { bytes in
        _ = RTCPPacket.isRTCP(bytes)
        guard let packet = try? RTCPPacket(parsing: bytes) else { return }
        fuzzCheck((try? RTCPPacket(parsing: packet.serialized())) == packet, "RTCP round trip")
    }

    /// Every control packet 0x50-0x5E (`ControlPacket(parsing:)`, which includes `RendezvousRegistration`),
    /// after the node's first-byte classification; a registration's signature is checked as the rendezvous does.
    static let control = FuzzTarget("control") { bytes in
        _ = DatagramClass.classify(bytes)
        guard let packet = try? ControlPacket(parsing: bytes) else { return }
        fuzzCheck((try? ControlPacket(parsing: packet.serialized())) == packet, "control packet round trip")
        if case .rendezvousRegister(let registration) = packet {
            _ = NodeIdentity.verify(
                signature: registration.signature, for: registration.signedBytes, signingPublicKey: registration.signingKey)
            if let nodeID = try? NodeID(publicKeyBytes: registration.staticKey) {
                _ = NodeIdentity.binds(signingKey: registration.signingKey, to: nodeID)
            }
        }
    }

    /// `SignalMessage(parsing:)`: the plaintext of a sealed packet (an authenticated peer chooses every byte).
    static let signal = FuzzTarget("signal") { bytes in
        guard let message = try? SignalMessage(parsing: bytes) else { return }
        fuzzCheck((try? SignalMessage(parsing: message.serialized())) == message, "signal round trip")
    }

    /// `CallOffer(parsing:)` and `CallAnswer(parsing:)`: the payloads of Noise messages 1 and 2. The first byte
    /// picks the parser; the rest is the payload.
    static let offer = FuzzTarget("offer") { bytes in
        guard let selector = bytes.first else { return }
        let payload = Array(bytes.dropFirst())
        if selector & 1 == 0 {
            guard let offer = try? CallOffer(parsing: payload) else { return }
            fuzzCheck((try? CallOffer(parsing: offer.serialized())) == offer, "offer round trip")
        } else {
            guard let answer = try? CallAnswer(parsing: payload) else { return }
            fuzzCheck((try? CallAnswer(parsing: answer.serialized())) == answer, "answer round trip")
        }
    }

    /// The relay's wire format as it arrives at the relay or a node: the DATA header fast path
    /// (`RelayPacket.dataChannel(of:)`), `RelayPacket(parsing:)` and `RelayToken(parsing:)`.
    static let relay = FuzzTarget("relay") { bytes in
        let channel = RelayPacket.dataChannel(of: bytes)
        if let packet = try? RelayPacket(parsing: bytes) {
            fuzzCheck((try? RelayPacket(parsing: packet.serialized())) == packet, "relay packet round trip")
            if case .data(let parsed, _) = packet { fuzzCheck(channel == parsed, "DATA channel fast path disagrees") }
        }
        if bytes.count == 1 + RelayToken.length { _ = try? RelayToken(parsing: Array(bytes.dropFirst())) }
    }
}
