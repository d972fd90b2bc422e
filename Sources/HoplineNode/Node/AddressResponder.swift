import HoplineNet

/// Answers what any node answers for anyone: bind requests ("what address do you see me at"), identity
/// requests ("which node are you") and connectivity checks (hole punches). Stateless. An answer is never
/// larger than the request it answers (requests are padded): a request that is shorter gets none, so a
/// spoofed source cannot turn this node into an amplifier.
struct AddressResponder {
    let environment: NodeEnvironment

    /// Handles the packet if it is one of the three requests (`requestLength`: its datagram's size); returns
    /// false otherwise.
    func answer(_ packet: ControlPacket, from source: PeerAddress, requestLength: Int) -> Bool {
        let reply: ControlPacket
        switch packet {
        case .bindRequest(let transaction):
            reply = .bindResponse(transaction: transaction, observed: source)
        case .identityRequest(let transaction):
            reply = .identityResponse(transaction: transaction, staticKey: environment.identity.nodeID.publicKey)
        case .connectivityCheck(let transaction, let session):
            reply = .connectivityCheckResponse(transaction: transaction, session: session, observed: source)
        default:
            return false
        }
        let bytes = reply.serialized()
        guard bytes.count <= requestLength else {
            environment.counters.unpaddedRequests += 1
            return true
        }
        environment.send(bytes, to: source)
        return true
    }
}
