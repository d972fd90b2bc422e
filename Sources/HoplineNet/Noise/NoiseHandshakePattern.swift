/// A Noise handshake pattern as data (Noise spec rev 34, section 7): the pre-messages and the token list of
/// each message. Only the patterns Hopline uses are defined; the handshake state runs any of them.
struct NoiseHandshakePattern: Sendable {
    enum Token: Sendable { case e, s, ee, es, se, ss, psk }

    /// The pattern's name inside the protocol name, e.g. "IK" or "IKpsk2".
    let name: String
    let initiatorPreMessage: [Token]
    let responderPreMessage: [Token]
    /// Message `i` is written by the initiator when `i` is even, by the responder when odd.
    let messages: [[Token]]

    var usesPresharedKey: Bool { messages.contains { $0.contains(.psk) } }

    /// `Noise_<name>_25519_ChaChaPoly_SHA256`.
    var protocolName: String { "Noise_\(name)_25519_ChaChaPoly_SHA256" }

    /// IK: the initiator knows the responder's static key; the responder learns the initiator's in message 1.
    ///     <- s
    ///     ...
    ///     -> e, es, s, ss
    ///     <- e, ee, se
    static let ik = NoiseHandshakePattern(
        name: "IK", initiatorPreMessage: [], responderPreMessage: [.s],
        messages: [[.e, .es, .s, .ss], [.e, .ee, .se]])

    /// IKpsk2: IK with a 32-byte pre-shared key mixed in at the end of message 2.
    static let ikpsk2 = NoiseHandshakePattern(
        name: "IKpsk2", initiatorPreMessage: [], responderPreMessage: [.s],
        messages: [[.e, .es, .s, .ss], [.e, .ee, .se, .psk]])
}
