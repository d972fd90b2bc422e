import HoplineCore
import HoplineNet

/// One outstanding request (bind, identity, lookup) matched to its response by transaction ID.
struct PendingRequest {
    var response: ControlPacket?
}

/// Request/response exchanges the caller needs before the call (resolving the target), run on the loop
/// thread while other datagrams keep being served.
extension NodeRuntime {
    static func newTransaction() -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        return (0..<ControlPacket.transactionLength).map { _ in UInt8.random(in: 0 ... .max, using: &random) }
    }

    /// Sends the request every 250 ms until its response arrives or `timeout` seconds pass.
    func request(to destination: PeerAddress, timeout: Double, _ make: ([UInt8]) -> ControlPacket) -> ControlPacket? {
        let transaction = Self.newTransaction()
        let bytes = make(transaction).serialized()
        pendingRequests[transaction] = PendingRequest()
        defer { pendingRequests[transaction] = nil }
        let start = clock.now()
        var nextSend = start
        while stop.caught == nil {
            let now = clock.now()
            if let response = pendingRequests[transaction]?.response { return response }
            if now.milliseconds(since: start) >= timeout * 1000 { return nil }
            if now >= nextSend {
                socket.send(bytes, to: destination)
                nextSend = now.advanced(byNanoseconds: 250_000_000)
            }
            for datagram in inbox.waitAndDrain(timeoutNanoseconds: 20_000_000) { handle(datagram) }
        }
        return nil
    }

    /// Finds the callee's node ID and the addresses to try.
    func resolve(_ target: CallTarget) throws -> (NodeID, [PeerAddress]) {
        switch target {
        case .pinned(let id, let address):
            return (id, [address])
        case .address(let address):
            guard case .identityResponse(_, let key)? = request(to: address, timeout: 3, { .identityRequest(transaction: $0) }),
                let id = try? NodeID(publicKeyBytes: key)
            else {
                throw CallError.identityUnreachable("\(address)", seconds: 3)
            }
            event("warning: trusting node ID \(id) at \(address) on first use; call \(id)@\(address) to pin it")
            return (id, [address])
        case .node(let id):
            guard let rendezvous = settings.rendezvous else {
                throw CallError.invalidArgument(
                    "calling \(id.abbreviated) by node ID needs --rendezvous HOST:PORT (or NODE-ID@HOST:PORT)")
            }
            let candidates = HostCandidates.gather(local: socket.localAddress)
            let session = UInt32.random(in: 1 ... .max)
            pendingSession = session
            let response = request(to: rendezvous, timeout: 3) {
                .rendezvousLookup(transaction: $0, target: id.publicKey, session: session, candidates: candidates)
            }
            guard case .rendezvousLookupResult(_, let found, let theirs)? = response else {
                throw CallError.rendezvousUnreachable("\(rendezvous)", seconds: 3)
            }
            guard found, !theirs.isEmpty else {
                throw CallError.notRegistered(nodeID: id.abbreviated, rendezvous: "\(rendezvous)")
            }
            event("rendezvous \(rendezvous): \(id.abbreviated) has candidates \(theirs.map { "\($0)" }.joined(separator: ", "))")
            // Server-reflexive first: behind NATs it is the one that works; host candidates serve a shared LAN.
            let ordered = theirs.filter { $0.kind != .host } + theirs.filter { $0.kind == .host }
            var addresses: [PeerAddress] = []
            for candidate in ordered where !addresses.contains(candidate.address) { addresses.append(candidate.address) }
            return (id, addresses)
        }
    }
}
