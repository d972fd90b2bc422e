/// Why bytes cannot serve as SRTP AEAD_AES_128_GCM key material.
public enum SRTPKeyMaterialError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongLength(of: String, length: Int, expected: Int)
    case allZeroKey

    public var description: String {
        switch self {
        case .wrongLength(let what, let length, let expected):
            return "\(what) is \(length) bytes (expected \(expected) for AEAD_AES_128_GCM)"
        case .allZeroKey:
            return "SRTP master key is all zero bytes (expected key material exported from the handshake)"
        }
    }
}
