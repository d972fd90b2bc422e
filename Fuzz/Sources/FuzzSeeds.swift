internal import Glibc
import HoplineCore
import HoplineNet

/// The committed seed corpus (`Fuzz/corpus/<target>/`): a few valid inputs per target, made with the real
/// serializers so they start the fuzzer deep inside each format. `make fuzz-seeds` rewrites it; the TOML seeds
/// also take `config/*.toml` (copied by the Makefile).
enum FuzzSeeds {
    static func write(to directory: String) {
        for (target, seeds) in all() {
            let folder = directory + "/" + target
            mkdir(directory, 0o755)
            mkdir(folder, 0o755)
            for (index, seed) in seeds.enumerated() {
                let path = folder + "/seed-\(index)"
                guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
                _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, seed.count, file) }
                fclose(file)
            }
        }
    }

    static func all() -> [(String, [[UInt8]])] {
        [
            ("rtp", rtp()), ("rtcp", rtcp()), ("control", control()), ("signal", signals().map { $0.serialized() }),
            ("offer", offer()), ("relay", relay()), ("relay-engine", relayEngine()), ("noise", noise()), ("sealed", sealed()), ("srtp", srtp()),
            ("wav", wav()), ("config", config()), ("contacts", contacts()), ("impairment", impairment()), ("text", text()),
            ("dht", dht()),
        ]
    }

    static let address4 = try! PeerAddress(parsing: "192.0.2.7:5004")
    static let address6 = try! PeerAddress(parsing: "[2001:db8::1]:6000")
    static let token = RelayToken(
        channel: 0x00_1234, expiry: 1_800_000_000, callerKey: [UInt8](repeating: 0xA1, count: 32),
        calleeKey: [UInt8](repeating: 0xB2, count: 32), mac: [UInt8](repeating: 0xC3, count: 16))
    static let candidates = [
        Candidate(kind: .host, address: address4), Candidate(kind: .serverReflexive, address: address6),
        Candidate(kind: .relayed, address: address4, relayToken: relayTokenBytes),
    ]
    static var relayTokenBytes: [UInt8] {
        let join = RelayPacket.join(
            transaction: [UInt8](repeating: 1, count: 12), cookie: [UInt8](repeating: 2, count: 16), side: .caller, token: token)
        return Array(join.serialized()[30..<(30 + RelayToken.length)])
    }

    static func rtpPackets() -> [RTPPacket] {
        [
            RTPPacket(marker: true, payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: 0x1234_5678, payload: [0xF8, 1, 2, 3]),
            RTPPacket(
                marker: false, payloadType: 111, sequenceNumber: 65_535, timestamp: 0xFFFF_FF00, ssrc: 7, csrcs: [1, 2],
                headerExtension: .init(profile: 0xBEDE, data: [1, 2, 3, 4]), payload: Array(repeating: 0xAB, count: 40)),
        ]
    }

    static func rtp() -> [[UInt8]] {
        var padded = rtpPackets()[0].serialized()
        padded[0] |= 0x20
        padded += [0, 0, 3]
        return rtpPackets().map { $0.serialized() } + [padded, redPacket().serialized()]
    }

    /// RTP carrying RED (RFC 2198): two older Opus frames in front of the primary.
    static func redPacket() -> RTPPacket {
        let red = REDPayload(
            redundant: [
                .init(payloadType: 111, timestampOffset: 1_920, payload: [0xF8, 1]),
                .init(payloadType: 111, timestampOffset: 960, payload: [0xF8, 2]),
            ],
            primaryPayloadType: 111, primary: [0xF8, 3])
        return RTPPacket(payloadType: REDPayload.payloadType, sequenceNumber: 2, timestamp: 2_880, ssrc: 0x1234_5678, payload: red.serialized())
    }

    static func rtcp() -> [[UInt8]] {
        let block = RTCPPacket.ReportBlock(
            sourceSSRC: 9, fractionLost: 12, cumulativeLost: -3, extendedHighestSequence: 70_000, jitter: 40,
            lastSenderReport: 0x1234, delaySinceLastSenderReport: 99)
        return [
            RTCPPacket.senderReport(.init(ssrc: 1, ntpTimestamp: 0xE000_0000_8000_0000, rtpTimestamp: 960, packetCount: 50, octetCount: 4_000))
                .serialized(),
            RTCPPacket.receiverReport(.init(ssrc: 2, blocks: [block, block])).serialized(),
            RTCPPacket.receiverReport(.init(ssrc: 3, blocks: [])).serialized(),
        ]
    }

    static func control() -> [[UInt8]] {
        let keys = FuzzKeys.shared
        let tx = [UInt8](repeating: 0x5A, count: 12)
        var registration = RendezvousRegistration(
            staticKey: keys.caller.nodeID.publicKey, signingKey: keys.caller.signingPublicKey, timestamp: 1_700_000_000_000,
            candidates: candidates)
        registration.signature = try! keys.caller.sign(registration.signedBytes)
        let packets: [ControlPacket] = [
            .handshakeInit(session: 1, message: keys.message1),
            .handshakeResponse(session: 1, message: keys.message2),
            .sealed(session: 1, nonce: 5, ciphertext: [UInt8](repeating: 9, count: 21)),
            .handshakeRefused(session: 1, reason: .notAllowed),
            .bindRequest(transaction: tx), .bindResponse(transaction: tx, observed: address6),
            .identityRequest(transaction: tx), .identityResponse(transaction: tx, staticKey: keys.callee.nodeID.publicKey),
            .connectivityCheck(transaction: tx, session: 2),
            .connectivityCheckResponse(transaction: tx, session: 2, observed: address4),
            .rendezvousRegister(registration),
            .rendezvousRegistered(timestamp: 1_700_000_000_000, observed: address4, lifetimeSeconds: 60),
            .rendezvousLookup(transaction: tx, cookie: ControlPacket.noCookie, target: keys.callee.nodeID.publicKey, session: 3, candidates: candidates),
            .rendezvousCookie(transaction: tx, cookie: [UInt8](repeating: 5, count: 16)),
            .handshakeCookie(session: 3, cookie: [UInt8](repeating: 5, count: 16)),
            .rendezvousLookupResult(transaction: tx, found: true, candidates: candidates),
            .rendezvousIntroduce(session: 3, candidates: candidates),
        ]
        return packets.map { $0.serialized() }
    }

    static func signals() -> [SignalMessage] {
        let answer = CallAnswer.accepted(
            CallOffer(bitrate: 32_000, frameMilliseconds: 20, forwardErrorCorrection: true, discontinuousTransmission: true))
        return [
            .ringing(sequence: 1), .accept(sequence: 2, answer: answer), .reject(sequence: 3), .busy(sequence: 4),
            .bye(sequence: 5, reason: .durationReached), .ack(acknowledged: 2), .keepalive(sentAt: 123_456_789),
            .keepaliveEcho(sentAt: 0x7FFF_FFFF_FFFF_FFFF), .rekey(sequence: 6, epoch: 1),
        ]
    }

    static func offer() -> [[UInt8]] {
        let offers = [
            CallOffer(bitrate: 24_000, frameMilliseconds: 20, forwardErrorCorrection: true, discontinuousTransmission: false),
            CallOffer(
                bitrate: 16_000, frameMilliseconds: 40, forwardErrorCorrection: false, discontinuousTransmission: true,
                relayCandidates: [candidates[2]]),
        ]
        let answers: [CallAnswer] = [.ringing, .accepted(offers[1]), .rejected, .busy, .notAllowed]
        return offers.map { [0] + $0.serialized() } + answers.map { [1] + $0.serialized() }
    }

    static func relay() -> [[UInt8]] {
        let tx = [UInt8](repeating: 0x4A, count: 12), cookie = [UInt8](repeating: 0xCC, count: 16)
        let load = RelayLoad(sessions: 3, capacity: 100, draining: false)
        let packets: [RelayPacket] = [
            .data(channel: 0x12_3456, payload: [0x80, 111, 0, 1]), .cookieRequest(transaction: tx),
            .cookie(transaction: tx, cookie: cookie, load: load),
            .allocate(transaction: tx, cookie: cookie, caller: [UInt8](repeating: 1, count: 32), callee: [UInt8](repeating: 2, count: 32)),
            .join(transaction: tx, cookie: cookie, side: .callee, token: token),
            .joined(transaction: tx, side: .caller, token: token, lifetimeSeconds: 600, load: load),
            .refused(transaction: tx, reason: .badToken), .drain(channel: 7), .leave(channel: 8),
        ]
        return packets.map { $0.serialized() } + [[0x40] + relayTokenBytes]
    }

    /// `FuzzRelayScript` programs: one op byte (`kind + 8 * source`), some followed by an argument byte.
    static func relayEngine() -> [[UInt8]] {
        let call: [UInt8] = [1, 2, 3, 1 + 8, 3 + 8, 0, 4, 1, 4 + 8, 2, 4, 1]
        return [
            call + [6, 30, 4, 1, 4 + 8, 2],
            call + [7 | 0x80, 7, 6, 1, 7, 6, 1, 7, 6, 1, 7, 5 + 8, 0, 5, 0],
            call + [1 + 16, 3 + 16, 0x40, 3 + 16, 0x80, 4 + 16, 0, 1 + 24, 2 + 24, 3, 2 + 24, 4, 1 + 16, 2 + 16, 5],
            [0, 5, 0x41, 1, 2, 3, 4, 0, 4, 0x40, 0, 0, 1, 0 + 8, 3, 0x47, 0, 1, 2, 0, 6, 6, 100, 7],
        ]
    }

    static func noise() -> [[UInt8]] { [[0] + FuzzKeys.shared.message1, [1] + FuzzKeys.shared.message2] }

    static func sealed() -> [[UInt8]] {
        let keys = FuzzKeys.shared
        let header = FuzzKeys.sealedHeader(session: 1, nonce: 4)
        let ciphertext = try! keys.initiatorTransport.encrypt(nonce: 4, SignalMessage.ringing(sequence: 1).serialized(), associatedData: header)
        let genuine = ControlPacket.sealed(session: 1, nonce: 4, ciphertext: ciphertext).serialized()
        var nonces: [UInt8] = [0]
        for nonce: UInt64 in [5, 3, 70, 6, 0xFFFF_FFFF_FFFF_FFFF, 2] {
            for shift in stride(from: 56, through: 0, by: -8) { nonces.append(UInt8(truncatingIfNeeded: nonce >> UInt64(shift))) }
        }
        return [[0] + genuine, nonces] + signals().map { [1] + $0.serialized() }
    }

    static func srtp() -> [[UInt8]] {
        let outbound = try! SRTPSession(direction: .outbound, keys: FuzzKeys.shared.srtp)
        let rtcpPackets = rtcp()
        return rtpPackets().map { [0] + (try! outbound.protect($0.serialized())) }
            + rtcpPackets.prefix(2).map { [1] + (try! outbound.protectRTCP($0)) }
    }

    /// RIFF/WAVE bytes: `fmt ` (tag, channels, rate, bits; 40 bytes with a subformat GUID for 0xFFFE), optional
    /// extra chunk, `data`.
    static func wavFile(tag: UInt16, channels: UInt16, rate: UInt32, bits: UInt16, samples: [UInt8], extra: Bool = false) -> [UInt8] {
        func u16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
        func u32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let align = channels * bits / 8
        var fmt = u16(tag) + u16(channels) + u32(rate) + u32(rate * UInt32(align)) + u16(align) + u16(bits)
        if tag == 0xFFFE {
            fmt += u16(22) + u16(bits) + u32(channels == 2 ? 3 : 4)
            fmt += u16(3) + [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]  // float subformat
        }
        var body = Array("WAVE".utf8) + Array("fmt ".utf8) + u32(UInt32(fmt.count)) + fmt
        if extra { body += Array("LIST".utf8) + u32(5) + Array("INFOx".utf8) + [0] }
        body += Array("data".utf8) + u32(UInt32(samples.count)) + samples
        return Array("RIFF".utf8) + u32(UInt32(body.count)) + body
    }

    static func wav() -> [[UInt8]] {
        let ramp = (0..<64).map { UInt8(truncatingIfNeeded: $0 * 37) }
        return [
            wavFile(tag: 1, channels: 1, rate: 16_000, bits: 16, samples: ramp),
            wavFile(tag: 1, channels: 2, rate: 48_000, bits: 24, samples: Array(ramp.prefix(60)), extra: true),
            wavFile(tag: 1, channels: 1, rate: 8_000, bits: 8, samples: ramp),
            wavFile(tag: 3, channels: 1, rate: 44_100, bits: 32, samples: ramp),
            wavFile(tag: 0xFFFE, channels: 2, rate: 32_000, bits: 32, samples: ramp),
        ]
    }

    static func config() -> [[UInt8]] {
        [Array("[codec]\nbitrate = 24000\nframe_ms = 20\nfec = true\n\n[jitter_buffer]\nmode = \"adaptive\"\n".utf8)]
    }

    static func contacts() -> [[UInt8]] {
        let keys = FuzzKeys.shared
        return [
            Array("""
                # friends
                [contacts.bob]
                id = "\(keys.callee.nodeID)"

                [contacts.alice]
                id = "\(keys.caller.nodeID)"
                address = "127.0.0.1:5004"

                [contacts."Grandma Jo"]
                id = "\(keys.callee.nodeID)"
                address = "[::1]:6000"

                """.utf8)
        ]
    }

    static func impairment() -> [[UInt8]] {
        [
            "loss=5%,delay=90ms,jitter=30ms,seed=3", "wifi,seed=7", "burst=5%/50%/0.1/0.9,reorder=off,dup=1%",
            "jitter=20ms,jitter-dist=pareto,stall=300ms/5s,skew=-500ppm", "loss=0.5,delay=1s,jitter=500us",
        ].map { Array($0.utf8) }
    }

    static func text() -> [[UInt8]] {
        let id = FuzzKeys.shared.callee.nodeID.description
        return [id, "127.0.0.1:5004", "[::1]:6000", "\(id)@192.0.2.1:5004", "[fe80::1%eth0]:1"].map { Array($0.utf8) }
    }
}
