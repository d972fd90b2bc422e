import HoplineNet

/// Answers what any node answers for anyone: bind requests ("what address do you see me at"), identity
/// requests ("which node are you") and connectivity checks (hole punches). Stateless.
struct AddressResponder {
    let environment: NodeEnvironment

    /// Handles the packet if it is one of the three requests; returns false otherwise.
    func answer(_ packet: ControlPacket, from source: PeerAddress) -> Bool {
        switch packet {
        case .bindRequest(let transaction):
            environment.send(ControlPacket.bindResponse(transaction: transaction, observed: source).serialized(), to: source)
        case .identityRequest(let transaction):
            environment.send(
                ControlPacket.identityResponse(transaction: transaction, staticKey: environment.identity.nodeID.publicKey)
                    .serialized(), to: source)
        case .connectivityCheck(let transaction, let session):
            environment.send(
                ControlPacket.connectivityCheckResponse(transaction: transaction, session: session, observed: source)
                    .serialized(), to: source)
        default:
            return false
        }
        return true
    }
}
