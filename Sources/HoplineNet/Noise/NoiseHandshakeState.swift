import Crypto

/// A Noise HandshakeState (Noise spec rev 34, section 5.3) for the 25519 DH functions: runs the tokens of any
/// `NoiseHandshakePattern`, including the `psk` modifier. Internal; `NoiseIKHandshake` is the public face.
///
/// Every read and write works on a copy that replaces `self` only on success, so a message that fails
/// (garbage, a forgery, a replay) leaves the state as it was.
struct NoiseHandshakeState {
    typealias PrivateKey = Curve25519.KeyAgreement.PrivateKey
    typealias PublicKey = Curve25519.KeyAgreement.PublicKey

    static let dhLength = 32

    let pattern: NoiseHandshakePattern
    let isInitiator: Bool
    private(set) var symmetric: NoiseSymmetricState
    private let localStatic: PrivateKey
    /// Used by the next "e" token instead of a fresh random key (test vectors only).
    private var presetEphemeral: PrivateKey?
    private var localEphemeral: PrivateKey?
    private(set) var remoteStatic: PublicKey?
    private var remoteEphemeral: PublicKey?
    private let presharedKey: [UInt8]?
    /// The index of the next message in `pattern.messages`.
    private(set) var messageIndex = 0

    init(
        pattern: NoiseHandshakePattern, isInitiator: Bool, prologue: [UInt8], localStatic: PrivateKey,
        remoteStatic: PublicKey?, ephemeral: PrivateKey?, presharedKey: [UInt8]?
    ) throws(NoiseError) {
        if pattern.usesPresharedKey {
            guard let presharedKey else { throw .invalidKey(what: "pre-shared key", length: 0, expected: 32) }
            guard presharedKey.count == 32 else {
                throw .invalidKey(what: "pre-shared key", length: presharedKey.count, expected: 32)
            }
        } else if let presharedKey {
            throw .invalidKey(what: "pre-shared key for \(pattern.name), which uses none", length: presharedKey.count, expected: 0)
        }
        self.pattern = pattern
        self.isInitiator = isInitiator
        self.localStatic = localStatic
        self.remoteStatic = remoteStatic
        self.presetEphemeral = ephemeral
        self.presharedKey = presharedKey
        symmetric = NoiseSymmetricState(protocolName: pattern.protocolName)
        symmetric.mixHash(prologue)
        // Pre-messages: the initiator's first, then the responder's; only "s" occurs in the patterns used.
        for (token, ownedByInitiator) in pattern.initiatorPreMessage.map({ ($0, true) })
            + pattern.responderPreMessage.map({ ($0, false) })
        {
            precondition(token == .s, "only static keys are supported in pre-messages")
            if ownedByInitiator == isInitiator {
                symmetric.mixHash(Self.bytes(localStatic.publicKey))
            } else {
                guard let remoteStatic else {
                    throw .invalidKey(what: "remote static key required by \(pattern.name)", length: 0, expected: 32)
                }
                symmetric.mixHash(Self.bytes(remoteStatic))
            }
        }
    }

    var isComplete: Bool { messageIndex >= pattern.messages.count }

    /// Whether the next message is ours to write.
    var isOurTurnToWrite: Bool { !isComplete && (messageIndex % 2 == 0) == isInitiator }

    private var role: String { isInitiator ? "initiator" : "responder" }

    mutating func writeMessage(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete else {
            throw .outOfOrder(operation: "writeMessage", reason: "the handshake is already complete; use split()")
        }
        guard isOurTurnToWrite else {
            throw .outOfOrder(
                operation: "writeMessage",
                reason: "the \(role) must read handshake message \(messageIndex + 1) before writing")
        }
        var next = self
        let message = try next.write(payload: payload)
        guard message.count <= NoiseCipherState.maximumMessageLength else {
            throw .wrongMessageLength(
                what: "handshake message \(messageIndex + 1)", length: message.count,
                expected: "at most \(NoiseCipherState.maximumMessageLength); use a shorter payload")
        }
        self = next
        return message
    }

    mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete else {
            throw .outOfOrder(operation: "readMessage", reason: "the handshake is already complete; use split()")
        }
        guard !isOurTurnToWrite else {
            throw .outOfOrder(
                operation: "readMessage",
                reason: "the \(role) must write handshake message \(messageIndex + 1) before reading")
        }
        guard message.count <= NoiseCipherState.maximumMessageLength else {
            throw .wrongMessageLength(
                what: "handshake message \(messageIndex + 1)", length: message.count,
                expected: "at most \(NoiseCipherState.maximumMessageLength)")
        }
        var next = self
        let payload = try next.read(message)
        self = next
        return payload
    }

    /// The smallest valid length of the next message (one with an empty payload).
    var minimumLengthOfNextMessage: Int {
        var keyed = symmetric.cipher.hasKey
        var length = 0
        for token in pattern.messages[messageIndex] {
            switch token {
            case .e:
                length += Self.dhLength
                if pattern.usesPresharedKey { keyed = true }
            case .s: length += Self.dhLength + (keyed ? NoiseCipherState.tagLength : 0)
            case .ee, .es, .se, .ss, .psk: keyed = true
            }
        }
        return length + (keyed ? NoiseCipherState.tagLength : 0)
    }

    // MARK: - Token processing (on a copy; see writeMessage/readMessage)

    private mutating func write(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        var message: [UInt8] = []
        for token in pattern.messages[messageIndex] {
            switch token {
            case .e:
                let ephemeral = presetEphemeral ?? PrivateKey()
                presetEphemeral = nil
                localEphemeral = ephemeral
                let publicKey = Self.bytes(ephemeral.publicKey)
                message += publicKey
                symmetric.mixHash(publicKey)
                if pattern.usesPresharedKey { symmetric.mixKey(publicKey) }
            case .s:
                message += try symmetric.encryptAndHash(Self.bytes(localStatic.publicKey))
            default:
                try mixToken(token)
            }
        }
        message += try symmetric.encryptAndHash(payload)
        messageIndex += 1
        return message
    }

    private mutating func read(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        let what = "handshake message \(messageIndex + 1)"
        let minimum = minimumLengthOfNextMessage
        guard message.count >= minimum else {
            throw .wrongMessageLength(what: what, length: message.count, expected: "at least \(minimum)")
        }
        var offset = 0
        for token in pattern.messages[messageIndex] {
            switch token {
            case .e:
                let publicKey = Array(message[offset..<offset + Self.dhLength])
                offset += Self.dhLength
                remoteEphemeral = try Self.publicKey(publicKey, what: "\(what) ephemeral key")
                symmetric.mixHash(publicKey)
                if pattern.usesPresharedKey { symmetric.mixKey(publicKey) }
            case .s:
                let length = Self.dhLength + (symmetric.cipher.hasKey ? NoiseCipherState.tagLength : 0)
                // The length check above counted this field, so the slice is in range.
                let field = Array(message[offset..<offset + length])
                offset += length
                let publicKey = try symmetric.decryptAndHash(field, what: "\(what) static key")
                remoteStatic = try Self.publicKey(publicKey, what: "\(what) static key")
            default:
                try mixToken(token)
            }
        }
        let payload = try symmetric.decryptAndHash(Array(message[offset...]), what: "\(what) payload")
        messageIndex += 1
        return payload
    }

    /// The DH and psk tokens, which read and write alike.
    private mutating func mixToken(_ token: NoiseHandshakePattern.Token) throws(NoiseError) {
        switch token {
        case .ee: symmetric.mixKey(try dh(localEphemeral, remoteEphemeral, "ee"))
        case .es:
            symmetric.mixKey(
                try isInitiator ? dh(localEphemeral, remoteStatic, "es") : dh(localStatic, remoteEphemeral, "es"))
        case .se:
            symmetric.mixKey(
                try isInitiator ? dh(localStatic, remoteEphemeral, "se") : dh(localEphemeral, remoteStatic, "se"))
        case .ss: symmetric.mixKey(try dh(localStatic, remoteStatic, "ss"))
        case .psk:
            // init checked that a pattern with a psk token has a 32-byte key.
            symmetric.mixKeyAndHash(presharedKey ?? [])
        case .e, .s: preconditionFailure("e and s are handled by write/read")
        }
    }

    /// DH(local, remote); refuses an all-zero result (a low-order remote point).
    private func dh(_ local: PrivateKey?, _ remote: PublicKey?, _ token: String) throws(NoiseError) -> [UInt8] {
        guard let local, let remote else {
            preconditionFailure("token \(token) before its keys: the pattern \(pattern.name) is inconsistent")
        }
        let secret: [UInt8]
        do {
            secret = try local.sharedSecretFromKeyAgreement(with: remote).withUnsafeBytes { Array($0) }
        } catch {
            throw .weakPublicKey(what: "the peer's key in token \(token)")
        }
        guard secret.contains(where: { $0 != 0 }) else {
            throw .weakPublicKey(what: "the peer's key in token \(token)")
        }
        return secret
    }

    static func bytes(_ key: PublicKey) -> [UInt8] { Array(key.rawRepresentation) }

    static func publicKey(_ bytes: [UInt8], what: String) throws(NoiseError) -> PublicKey {
        do {
            return try PublicKey(rawRepresentation: bytes)
        } catch {
            throw .invalidKey(what: what, length: bytes.count, expected: dhLength)
        }
    }
}
