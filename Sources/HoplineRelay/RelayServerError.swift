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

    /// Waits for a bind and returns the channel and its local address, or the error naming `address`.
    static func bound(_ future: EventLoopFuture<any Channel>, address: String) throws(RelayServerError) -> (any Channel, SocketAddress) {
        let channel: any Channel
        do {
            channel = try future.wait()
        } catch {
            throw from(error, address: address)
        }
        guard let local = channel.localAddress else {
            channel.close(promise: nil)
            throw .bindFailed(address: address, reason: "no local address after bind")
        }
        return (channel, local)
    }

    static func from(_ error: any Error, address: String) -> RelayServerError {
        if let io = error as? IOError, io.errnoCode == 98 { return .addressInUse(address) }  // EADDRINUSE
        return .bindFailed(address: address, reason: "\(error)")
    }
}
