import NIOCore

/// Why a relay server (or its metrics endpoint) could not start.
public enum RelayServerError: Error, Equatable, CustomStringConvertible {
    /// Another socket holds the port (the relay never sets SO_REUSEADDR, so two relays cannot share one).
    case addressInUse(String)
    case bindFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .addressInUse(let address): return "\(address) is already in use"
        case .bindFailed(let address, let reason): return "cannot bind \(address): \(reason)"
        }
    }

    static func from(_ error: any Error, address: String) -> RelayServerError {
        if let io = error as? IOError, io.errnoCode == 98 { return .addressInUse(address) }  // EADDRINUSE
        return .bindFailed(address: address, reason: "\(error)")
    }
}
