/// Why private key bytes do not form a `NodeIdentity`, or signing failed.
public enum NodeIdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidKey(what: String, length: Int)
    case signingFailed(String)

    public var description: String {
        switch self {
        case .invalidKey(let what, let length): return "invalid \(what): \(length) bytes (expected 32)"
        case .signingFailed(let reason): return "Ed25519 signing failed: \(reason)"
        }
    }
}
