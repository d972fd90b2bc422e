/// What went wrong with the DHT runner or a value: each case names the value and what was expected.
public enum DHTError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidBootstrap(String, reason: String)
    case startFailed(port: UInt16, code: Int32)
    case valueTooLarge(bytes: Int, limit: Int)
    case stopped

    public var description: String {
        switch self {
        case .invalidBootstrap(let text, let reason): return "invalid DHT bootstrap node '\(text)': \(reason)"
        case .startFailed(let port, let code):
            return "the DHT runner could not start on UDP port \(port) (error \(code)); is the port in use?"
        case .valueTooLarge(let bytes, let limit):
            return "DHT value of \(bytes) bytes is over the limit of \(limit) bytes (OpenDHT refuses values over 64 KiB)"
        case .stopped: return "the DHT runner has been shut down"
        }
    }
}
