extension NoiseIKHandshake {
    /// SRTP keying material for both directions, from this side's point of view: `outbound` protects what
    /// this node sends, `inbound` unprotects what it receives. `length` is the master key plus salt: 28 for
    /// `AEAD_AES_128_GCM`, Hopline's profile (`SRTPKeyMaterial(deriving:)` takes it), 30 for
    /// `AES_CM_128_HMAC_SHA1_80`. Throws `.outOfOrder` before the handshake is complete.
    public func srtpKeyingMaterial(length: Int = 28) throws(NoiseError) -> (outbound: [UInt8], inbound: [UInt8]) {
        let initiatorToResponder = try exportKey(label: NoiseExportLabel.srtpInitiatorToResponder, length: length)
        let responderToInitiator = try exportKey(label: NoiseExportLabel.srtpResponderToInitiator, length: length)
        return role == .initiator
            ? (initiatorToResponder, responderToInitiator) : (responderToInitiator, initiatorToResponder)
    }
}
