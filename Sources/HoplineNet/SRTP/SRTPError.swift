/// Why an SRTP operation failed, sorted by what a receiver counts: a replayed packet, a forged one (failed
/// authentication), a malformed one, or anything else. Every case names the libsrtp2 function involved.
///
/// Packets from the network that fail are to be counted by `category` and dropped; none of these errors
/// leaves a session unusable.
public enum SRTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The packet index was already received, or is older than the replay window (`srtp_unprotect*`); or,
    /// from `srtp_protect*`, the sender tried to protect a sequence number it had already used.
    case replayed(function: String, status: SRTPStatus)
    /// Authentication failed: the packet was altered on the way, forged, or protected with other keys.
    case forged(function: String, status: SRTPStatus)
    /// The bytes are not a packet SRTP can process: too short for the header and tag, not version 2,
    /// too large for a datagram, or rejected by libsrtp2's own parser.
    case malformed(function: String, length: Int, problem: String)
    /// Anything else libsrtp2 reported: initialisation, session creation, key expiry, allocation.
    case failed(function: String, status: SRTPStatus)
    /// A replay window libsrtp2 cannot use.
    case invalidReplayWindow(Int)

    /// The counter a failure belongs in.
    public enum Category: String, Hashable, Sendable, CaseIterable {
        case replayed, forged, malformed, other
    }

    public var category: Category {
        switch self {
        case .replayed: return .replayed
        case .forged: return .forged
        case .malformed: return .malformed
        case .failed, .invalidReplayWindow: return .other
        }
    }

    public var description: String {
        switch self {
        case .replayed(let function, let status) where function.hasPrefix("srtp_protect"):
            return "\(function) refused to reuse a packet index it already protected: \(status)"
        case .replayed(let function, let status):
            return "\(function) rejected a replayed packet: \(status)"
        case .forged(let function, let status):
            return "\(function) rejected a packet that failed authentication "
                + "(altered, forged, or protected with other keys): \(status)"
        case .malformed(let function, let length, let problem):
            return "\(function) rejected a malformed \(length)-byte packet: \(problem)"
        case .failed(let function, let status):
            return "\(function) failed: \(status)"
        case .invalidReplayWindow(let size):
            return "SRTP replay window of \(size) packets is out of range "
                + "(expected \(SRTPSession.replayWindowRange.lowerBound) to "
                + "\(SRTPSession.replayWindowRange.upperBound))"
        }
    }

    /// Sorts a failure status of a protect or unprotect call into its case.
    init(packetFunction function: String, status: SRTPStatus, length: Int) {
        switch status {
        case .replayFailure, .replayTooOld, .packetIndexTooOld:
            self = .replayed(function: function, status: status)
        case .authenticationFailure:
            self = .forged(function: function, status: status)
        case .badParameter, .parseError, .cipherFailure:
            // libsrtp2 returns these for headers that do not fit the packet and for a payload shorter than
            // the tag; a real cipher failure cannot come from bytes Hopline has already length-checked.
            self = .malformed(function: function, length: length, problem: "\(status)")
        default:
            self = .failed(function: function, status: status)
        }
    }
}
