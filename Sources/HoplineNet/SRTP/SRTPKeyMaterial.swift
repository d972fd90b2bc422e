/// The master key and master salt of one direction of an SRTP stream protected with AEAD_AES_128_GCM
/// (RFC 7714): a 16-byte AES-128 master key and a 12-byte master salt, 28 bytes in all. libsrtp2 derives the
/// session keys from them (RFC 3711 key derivation).
///
/// Security hazard: AES-GCM fails catastrophically if one key protects two packets with the same SSRC and
/// index. Give each direction of a call its own key material (two exports from the handshake with different
/// labels), and never create two outbound sessions from the same key material.
///
/// The key bytes never appear in `description`, `debugDescription` or `dump`.
public struct SRTPKeyMaterial: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let masterKeyLength = 16
    public static let masterSaltLength = 12
    /// The length of `masterKey` followed by `masterSalt`: what `init(deriving:)` takes.
    public static let length = masterKeyLength + masterSaltLength

    public let masterKey: [UInt8]
    public let masterSalt: [UInt8]

    /// Checks the lengths, and refuses an all-zero key (a key that was never filled in).
    public init(masterKey: [UInt8], masterSalt: [UInt8]) throws(SRTPKeyMaterialError) {
        guard masterKey.count == Self.masterKeyLength else {
            throw .wrongLength(of: "master key", length: masterKey.count, expected: Self.masterKeyLength)
        }
        guard masterSalt.count == Self.masterSaltLength else {
            throw .wrongLength(of: "master salt", length: masterSalt.count, expected: Self.masterSaltLength)
        }
        guard masterKey.contains(where: { $0 != 0 }) else { throw .allZeroKey }
        self.masterKey = masterKey
        self.masterSalt = masterSalt
    }

    /// Splits 28 bytes, e.g. the output of the handshake's `exportKey(label:length: 28)`, into the master key
    /// (the first 16) and the master salt (the last 12).
    public init(deriving bytes: [UInt8]) throws(SRTPKeyMaterialError) {
        guard bytes.count == Self.length else {
            throw .wrongLength(of: "SRTP key material", length: bytes.count, expected: Self.length)
        }
        try self.init(
            masterKey: Array(bytes[..<Self.masterKeyLength]), masterSalt: Array(bytes[Self.masterKeyLength...]))
    }

    public var description: String { "SRTPKeyMaterial(AEAD_AES_128_GCM, \(Self.length) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
