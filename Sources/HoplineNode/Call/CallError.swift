import Foundation

/// Why a call could not be placed or ended badly; each says what happened and what was expected.
public enum CallError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case noAnswer(target: String, addresses: String, seconds: Double)
    case handshakeRefused(target: String, reason: String)
    case rejected(target: String)
    case busy(target: String)
    case notAllowed(target: String)
    case peerVanished(peer: String, seconds: Double)
    case rendezvousUnreachable(String, seconds: Double)
    case notRegistered(nodeID: String, rendezvous: String)
    case identityUnreachable(String, seconds: Double)
    case notInDHT(nodeID: String, reason: String)
    case setupFailed(String)

    public var description: String {
        switch self {
        case .invalidArgument(let text): return text
        case .noAnswer(let target, let addresses, let seconds):
            return "no answer from \(target) at \(addresses) within \(Int(seconds)) s "
                + "(is `hopline listen` running there, and is the node ID right?)"
        case .handshakeRefused(let target, let reason): return "call to \(target) failed: \(reason)"
        case .rejected(let target): return "\(target) rejected the call"
        case .busy(let target): return "\(target) is busy (already in a call)"
        case .notAllowed(let target): return "\(target) does not accept calls from this node (its --accept-from list)"
        case .peerVanished(let peer, let seconds):
            return "call ended: \(peer) stopped answering (nothing received for \(String(format: "%.1f", seconds)) s)"
        case .rendezvousUnreachable(let address, let seconds):
            return "rendezvous \(address) did not answer within \(Int(seconds)) s"
        case .notRegistered(let nodeID, let rendezvous):
            return "\(nodeID) is not registered at rendezvous \(rendezvous) (is it listening with --rendezvous \(rendezvous)?)"
        case .identityUnreachable(let address, let seconds):
            return "no node answered at \(address) within \(Int(seconds)) s (is `hopline listen` running there?)"
        case .notInDHT(let nodeID, let reason):
            return "\(nodeID) was not found in the DHT: \(reason) (is it listening with a --dht-bootstrap of the same network?)"
        case .setupFailed(let text): return text
        }
    }
}
