extension NoiseIKHandshake {
    /// The rekey chains of both directions, from this side's point of view: `outbound` gives the next keys
    /// for what this node sends, `inbound` for what it receives; the peer's `outbound` matches this side's
    /// `inbound`. Seeds are `exportKey` outputs with their own labels, so they share nothing with the
    /// epoch-0 transport and SRTP keys. Throws `.outOfOrder` before the handshake is complete.
    public func rekeyChains() throws(NoiseError) -> (outbound: NoiseRekeyChain, inbound: NoiseRekeyChain) {
        let initiatorToResponder = NoiseRekeyChain(
            seed: try exportKey(label: NoiseExportLabel.rekeyInitiatorToResponder, length: 32))
        let responderToInitiator = NoiseRekeyChain(
            seed: try exportKey(label: NoiseExportLabel.rekeyResponderToInitiator, length: 32))
        return role == .initiator
            ? (initiatorToResponder, responderToInitiator) : (responderToInitiator, initiatorToResponder)
    }
}
