/// Every Hopline control packet (first byte 0x50-0x5F), parsed from or serialized to a datagram.
///
/// Formats (after the type byte; integers big-endian; `addr` is family u8 (4|6), port u16, 4|16 bytes;
/// `cands` is a count u8 then per candidate kind u8 + addr (+ relay token (88) for kind 4, relayed); `txid` is 12
/// random bytes):
///
/// | type | body |
/// | --- | --- |
/// | handshakeInit 0x50 | session u32, Noise IK message 1 and its mac1 (`HandshakeMAC`) |
/// | handshakeResponse 0x51 | session u32, Noise IK message 2 |
/// | sealed 0x52 | session u32, nonce u64, ChaCha20-Poly1305 ciphertext of a `SignalMessage` |
/// | handshakeRefused 0x53 | session u32, reason u8 (`HandshakeRefusal`) |
/// | bindRequest 0x54 | txid, zero padding to `paddedRequestLength` |
/// | bindResponse 0x55 | txid, addr (where the request came from) |
/// | identityRequest 0x56 | txid, zero padding to `paddedRequestLength` |
/// | identityResponse 0x57 | txid, static public key (32) |
/// | connectivityCheck 0x58 | txid, session u32, zero padding to `paddedRequestLength` |
/// | connectivityCheckResponse 0x59 | txid, session u32, addr (where the check came from) |
/// | rendezvousRegister 0x5A | static key (32), signing key (32), timestamp u64 (ms), cands, Ed25519 signature (64) over everything before it, type byte included |
/// | rendezvousRegistered 0x5B | timestamp u64, addr (the registrant's reflexive address), lifetime s u16 |
/// | rendezvousLookup 0x5C | txid, cookie (16; zeros: none yet), target static key (32), session u32, cands (the caller's) |
/// | rendezvousLookupResult 0x5D | txid, found u8 (0/1), cands (the target's) |
/// | rendezvousIntroduce 0x5E | session u32, cands (the caller's) |
/// | rendezvousCookie 0x5F | txid, cookie (16): the rendezvous' answer to a lookup without a valid cookie |
/// | handshakeInitWithCookie 0x60 | session u32, cookie (16), Noise IK message 1 |
/// | handshakeCookie 0x61 | session u32, cookie (16): a busy responder's answer to a message 1 without one |
///
/// No answer to an unauthenticated request is larger than the request: bind and identity requests and
/// connectivity checks are padded to 48 bytes (their answers are at most 45), and a lookup, whose answer and
/// introduction can be larger, is first answered with a 29-byte cookie that only the lookup's real source
/// receives; the lookup is served when it comes back with that cookie.
public enum ControlPacket: Equatable, Sendable {
    case handshakeInit(session: UInt32, message: [UInt8])
    case handshakeResponse(session: UInt32, message: [UInt8])
    case sealed(session: UInt32, nonce: UInt64, ciphertext: [UInt8])
    case handshakeRefused(session: UInt32, reason: HandshakeRefusal)
    case bindRequest(transaction: [UInt8])
    case bindResponse(transaction: [UInt8], observed: PeerAddress)
    case identityRequest(transaction: [UInt8])
    case identityResponse(transaction: [UInt8], staticKey: [UInt8])
    case connectivityCheck(transaction: [UInt8], session: UInt32)
    case connectivityCheckResponse(transaction: [UInt8], session: UInt32, observed: PeerAddress)
    case rendezvousRegister(RendezvousRegistration)
    case rendezvousRegistered(timestamp: UInt64, observed: PeerAddress, lifetimeSeconds: UInt16)
    case rendezvousLookup(transaction: [UInt8], cookie: [UInt8], target: [UInt8], session: UInt32, candidates: [Candidate])
    case rendezvousLookupResult(transaction: [UInt8], found: Bool, candidates: [Candidate])
    case rendezvousIntroduce(session: UInt32, candidates: [Candidate])
    case rendezvousCookie(transaction: [UInt8], cookie: [UInt8])
    case handshakeInitWithCookie(session: UInt32, cookie: [UInt8], message: [UInt8])
    case handshakeCookie(session: UInt32, cookie: [UInt8])

    public static let transactionLength = 12
    public static let cookieLength = AddressCookieJar.cookieLength
    /// Bind and identity requests and connectivity checks are padded to this many bytes: never less than
    /// their answers (identity response 45, check response with an IPv6 address 36, bind response 32).
    public static let paddedRequestLength = 48
    /// A lookup without a cookie yet.
    public static let noCookie = [UInt8](repeating: 0, count: cookieLength)
    public static let keyLength = 32
    public static let signatureLength = 64

    public var type: ControlPacketType {
        switch self {
        case .handshakeInit: return .handshakeInit
        case .handshakeResponse: return .handshakeResponse
        case .sealed: return .sealed
        case .handshakeRefused: return .handshakeRefused
        case .bindRequest: return .bindRequest
        case .bindResponse: return .bindResponse
        case .identityRequest: return .identityRequest
        case .identityResponse: return .identityResponse
        case .connectivityCheck: return .connectivityCheck
        case .connectivityCheckResponse: return .connectivityCheckResponse
        case .rendezvousRegister: return .rendezvousRegister
        case .rendezvousRegistered: return .rendezvousRegistered
        case .rendezvousLookup: return .rendezvousLookup
        case .rendezvousLookupResult: return .rendezvousLookupResult
        case .rendezvousIntroduce: return .rendezvousIntroduce
        case .rendezvousCookie: return .rendezvousCookie
        case .handshakeInitWithCookie: return .handshakeInitWithCookie
        case .handshakeCookie: return .handshakeCookie
        }
    }

    public func serialized() -> [UInt8] {
        var writer = WireWriter()
        writer.u8(type.rawValue)
        switch self {
        case .handshakeInit(let session, let message), .handshakeResponse(let session, let message):
            writer.u32(session)
            writer.append(message)
        case .sealed(let session, let nonce, let ciphertext):
            writer.u32(session)
            writer.u64(nonce)
            writer.append(ciphertext)
        case .handshakeRefused(let session, let reason):
            writer.u32(session)
            writer.u8(reason.rawValue)
        case .bindRequest(let transaction), .identityRequest(let transaction):
            writer.append(transaction)
            writer.append([UInt8](repeating: 0, count: Self.paddedRequestLength - writer.bytes.count))
        case .bindResponse(let transaction, let observed):
            writer.append(transaction)
            writer.address(observed)
        case .identityResponse(let transaction, let staticKey):
            writer.append(transaction)
            writer.append(staticKey)
        case .connectivityCheck(let transaction, let session):
            writer.append(transaction)
            writer.u32(session)
            writer.append([UInt8](repeating: 0, count: Self.paddedRequestLength - writer.bytes.count))
        case .connectivityCheckResponse(let transaction, let session, let observed):
            writer.append(transaction)
            writer.u32(session)
            writer.address(observed)
        case .rendezvousRegister(let registration):
            return registration.serialized()
        case .rendezvousRegistered(let timestamp, let observed, let lifetime):
            writer.u64(timestamp)
            writer.address(observed)
            writer.u16(lifetime)
        case .rendezvousLookup(let transaction, let cookie, let target, let session, let candidates):
            writer.append(transaction)
            writer.append(cookie)
            writer.append(target)
            writer.u32(session)
            writer.candidates(candidates)
        case .rendezvousLookupResult(let transaction, let found, let candidates):
            writer.append(transaction)
            writer.u8(found ? 1 : 0)
            writer.candidates(candidates)
        case .rendezvousIntroduce(let session, let candidates):
            writer.u32(session)
            writer.candidates(candidates)
        case .rendezvousCookie(let transaction, let cookie):
            writer.append(transaction)
            writer.append(cookie)
        case .handshakeInitWithCookie(let session, let cookie, let message):
            writer.u32(session)
            writer.append(cookie)
            writer.append(message)
        case .handshakeCookie(let session, let cookie):
            writer.u32(session)
            writer.append(cookie)
        }
        return writer.bytes
    }

    /// Parses a datagram whose first byte is a control type; anything malformed throws `WireError`.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let rawType = try reader.u8("type")
        guard let type = ControlPacketType(rawValue: rawType) else {
            throw .invalidValue(field: "control type", value: Int(rawType), expected: "0x50...0x61")
        }
        let txLength = Self.transactionLength
        switch type {
        case .handshakeInit, .handshakeResponse:
            let session = try reader.u32("session")
            let message = reader.rest()
            guard !message.isEmpty else { throw .truncated(field: "noise message", needed: 1, available: 0) }
            self = type == .handshakeInit
                ? .handshakeInit(session: session, message: message) : .handshakeResponse(session: session, message: message)
            return
        case .sealed:
            let session = try reader.u32("session")
            let nonce = try reader.u64("nonce")
            let ciphertext = reader.rest()
            guard ciphertext.count >= 16 else {
                throw .truncated(field: "sealed ciphertext", needed: 16, available: ciphertext.count)
            }
            self = .sealed(session: session, nonce: nonce, ciphertext: ciphertext)
        case .handshakeRefused:
            let session = try reader.u32("session")
            let raw = try reader.u8("reason")
            guard let reason = HandshakeRefusal(rawValue: raw) else {
                throw .invalidValue(field: "refusal reason", value: Int(raw), expected: "1...2")
            }
            self = .handshakeRefused(session: session, reason: reason)
        case .bindRequest:
            self = .bindRequest(transaction: try reader.bytes(txLength, "txid"))
            try reader.expectZeroPadding("request padding")
        case .identityRequest:
            self = .identityRequest(transaction: try reader.bytes(txLength, "txid"))
            try reader.expectZeroPadding("request padding")
        case .bindResponse:
            self = .bindResponse(transaction: try reader.bytes(txLength, "txid"), observed: try reader.address("observed"))
        case .identityResponse:
            self = .identityResponse(
                transaction: try reader.bytes(txLength, "txid"), staticKey: try reader.bytes(Self.keyLength, "static key"))
        case .connectivityCheck:
            self = .connectivityCheck(transaction: try reader.bytes(txLength, "txid"), session: try reader.u32("session"))
            try reader.expectZeroPadding("check padding")
        case .connectivityCheckResponse:
            self = .connectivityCheckResponse(
                transaction: try reader.bytes(txLength, "txid"), session: try reader.u32("session"),
                observed: try reader.address("observed"))
        case .rendezvousRegister:
            self = .rendezvousRegister(try RendezvousRegistration(parsing: bytes))
            return
        case .rendezvousRegistered:
            self = .rendezvousRegistered(
                timestamp: try reader.u64("timestamp"), observed: try reader.address("observed"),
                lifetimeSeconds: try reader.u16("lifetime"))
        case .rendezvousLookup:
            self = .rendezvousLookup(
                transaction: try reader.bytes(txLength, "txid"), cookie: try reader.bytes(Self.cookieLength, "cookie"),
                target: try reader.bytes(Self.keyLength, "target"), session: try reader.u32("session"),
                candidates: try reader.candidates("candidates"))
        case .rendezvousLookupResult:
            let transaction = try reader.bytes(txLength, "txid")
            let found = try reader.u8("found")
            guard found <= 1 else { throw .invalidValue(field: "found", value: Int(found), expected: "0 or 1") }
            self = .rendezvousLookupResult(
                transaction: transaction, found: found == 1, candidates: try reader.candidates("candidates"))
        case .rendezvousIntroduce:
            self = .rendezvousIntroduce(session: try reader.u32("session"), candidates: try reader.candidates("candidates"))
        case .rendezvousCookie:
            self = .rendezvousCookie(transaction: try reader.bytes(txLength, "txid"), cookie: try reader.bytes(Self.cookieLength, "cookie"))
        case .handshakeInitWithCookie:
            let session = try reader.u32("session")
            let cookie = try reader.bytes(Self.cookieLength, "cookie")
            let message = reader.rest()
            guard !message.isEmpty else { throw .truncated(field: "noise message", needed: 1, available: 0) }
            self = .handshakeInitWithCookie(session: session, cookie: cookie, message: message)
            return
        case .handshakeCookie:
            self = .handshakeCookie(session: try reader.u32("session"), cookie: try reader.bytes(Self.cookieLength, "cookie"))
        }
        try reader.expectEnd("control packet")
    }
}

/// Why a responder could not take a handshake message (sent unauthenticated, so only ever a hint).
public enum HandshakeRefusal: UInt8, Sendable, CustomStringConvertible {
    /// Message 1 did not decrypt: it was encrypted to another static key (the caller has the wrong node ID).
    case undecryptable = 1
    /// Message 1 was well formed but this node refuses calls from the caller's key (allowlist).
    case notAllowed = 2

    public var description: String {
        switch self {
        case .undecryptable: return "the node there could not decrypt the handshake (it is not the node ID you called)"
        case .notAllowed: return "the node there does not accept calls from this node ID (--accept-from)"
        }
    }
}
