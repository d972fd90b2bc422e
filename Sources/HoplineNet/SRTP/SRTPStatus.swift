internal import CSRTP

/// A libsrtp2 result code (`srtp_err_status_t`) with its C name, so errors and logs say exactly what
/// libsrtp2 reported without exposing the C type to Hopline's other modules.
public struct SRTPStatus: Hashable, Sendable, CustomStringConvertible {
    /// The numeric `srtp_err_status_t` value (0 is success).
    public let code: Int32

    public init(code: Int32) { self.code = code }

    init(_ status: srtp_err_status_t) { self.init(code: Int32(truncatingIfNeeded: status.rawValue)) }

    public static let ok = SRTPStatus(srtp_err_status_ok)
    public static let fail = SRTPStatus(srtp_err_status_fail)
    public static let badParameter = SRTPStatus(srtp_err_status_bad_param)
    public static let authenticationFailure = SRTPStatus(srtp_err_status_auth_fail)
    public static let cipherFailure = SRTPStatus(srtp_err_status_cipher_fail)
    public static let replayFailure = SRTPStatus(srtp_err_status_replay_fail)
    public static let replayTooOld = SRTPStatus(srtp_err_status_replay_old)
    public static let parseError = SRTPStatus(srtp_err_status_parse_err)
    public static let keyExpired = SRTPStatus(srtp_err_status_key_expired)
    public static let packetIndexTooOld = SRTPStatus(srtp_err_status_pkt_idx_old)

    /// The C enumerator's name, e.g. `srtp_err_status_auth_fail`, or `srtp_err_status_<code>` if unknown.
    public var name: String {
        Self.names[code].map { "srtp_err_status_\($0.0)" } ?? "srtp_err_status_\(code)"
    }

    /// What libsrtp2's header says the code means.
    public var meaning: String { Self.names[code]?.1 ?? "unknown libsrtp2 status" }

    public var description: String { "\(name) (\(meaning))" }

    private static let names: [Int32: (String, String)] = [
        0: ("ok", "nothing to report"),
        1: ("fail", "unspecified failure"),
        2: ("bad_param", "unsupported parameter"),
        3: ("alloc_fail", "couldn't allocate memory"),
        4: ("dealloc_fail", "couldn't deallocate properly"),
        5: ("init_fail", "couldn't initialize"),
        6: ("terminus", "can't process as much data as requested"),
        7: ("auth_fail", "authentication failure"),
        8: ("cipher_fail", "cipher failure"),
        9: ("replay_fail", "replay check failed: index already seen"),
        10: ("replay_old", "replay check failed: index older than the replay window"),
        11: ("algo_fail", "algorithm failed test routine"),
        12: ("no_such_op", "unsupported operation"),
        13: ("no_ctx", "no appropriate context found"),
        14: ("cant_check", "unable to perform desired validation"),
        15: ("key_expired", "can't use key any more"),
        16: ("socket_err", "error in use of socket"),
        17: ("signal_err", "error in use of POSIX signals"),
        18: ("nonce_bad", "nonce check failed"),
        19: ("read_fail", "couldn't read data"),
        20: ("write_fail", "couldn't write data"),
        21: ("parse_err", "error parsing data"),
        22: ("encode_err", "error encoding data"),
        23: ("semaphore_err", "error while using semaphores"),
        24: ("pfkey_err", "error while using pfkey"),
        25: ("bad_mki", "MKI present in packet is invalid"),
        26: ("pkt_idx_old", "packet index is too old to consider"),
        27: ("pkt_idx_adv", "packet index advanced, reset needed"),
    ]
}
