/// The `exportKey` labels Hopline defines, one per purpose and direction, so that no two uses of the
/// handshake's keying material ever share bytes.
public enum NoiseExportLabel {
    /// SRTP master key and salt for media the initiator sends: the initiator's outbound SRTP context and
    /// the responder's inbound one.
    public static let srtpInitiatorToResponder = "hopline srtp initiator to responder"
    /// SRTP master key and salt for media the responder sends: the responder's outbound SRTP context and
    /// the initiator's inbound one.
    public static let srtpResponderToInitiator = "hopline srtp responder to initiator"
    /// The seed of the rekey chain for what the initiator sends (`NoiseRekeyChain`): later epochs' sealed
    /// signaling and SRTP keys in that direction.
    public static let rekeyInitiatorToResponder = "hopline rekey initiator to responder"
    /// The seed of the rekey chain for what the responder sends.
    public static let rekeyResponderToInitiator = "hopline rekey responder to initiator"
}
