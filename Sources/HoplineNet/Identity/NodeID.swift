import Crypto

/// A node's identity as people type and read it: its 32-byte Curve25519 key-agreement public key, which
/// the Noise IK handshake proves the node holds.
///
/// Format, e.g. `hl-aaaqea-yeauda-ocajbi-fqydio-b4ibce-qtcqkr-mfyyde-nbwha5-dypqbm` (the key 00 01 ... 1f):
/// - `hl-`, then 54 characters of lowercase RFC 4648 base32 (`a`-`z`, `2`-`7`: no 0, 1, 8 or 9 to mistake
///   for o, l, b or g), in 9 groups of 6 joined by `-`;
/// - characters 1-52 are the public key (256 bits; the last character carries 1 bit and 4 zero bits, so
///   it is always `a` or `q`);
/// - character 53 is a Luhn mod 32 check character over characters 1-52: it catches every single wrong
///   character, and every swap of two neighbours except `a` with `7`;
/// - character 54 is the first 5 bits of SHA-256(public key): it catches 31 in 32 of the other typos.
///
/// Parsing ignores case, spaces, dashes and the `hl-` prefix.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Characters that encode the key.
    static let keyCharacterCount = 52
    /// Key plus checksum characters.
    static let characterCount = 54
    static let prefix = "hl-"
    static let groupLength = 6

    /// The Curve25519 key-agreement public key, 32 bytes.
    public let publicKey: [UInt8]

    /// The ID of a Curve25519 key-agreement public key.
    public init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        self.publicKey = Array(publicKey.rawRepresentation)
    }

    /// The ID of raw public-key bytes, which must be 32.
    public init(publicKeyBytes: [UInt8]) throws(NodeIDError) {
        guard publicKeyBytes.count == 32 else { throw .wrongKeyLength(publicKeyBytes.count) }
        publicKey = publicKeyBytes
    }

    init(publicKey: [UInt8]) {
        precondition(publicKey.count == 32, "a node ID key is 32 bytes")
        self.publicKey = publicKey
    }

    /// Parses the display form or any variant of it (case, dashes, spaces, with or without `hl-`). Errors
    /// name the text and what is wrong: a wrong length, a character outside base32, or a failed checksum.
    public init(parsing text: String) throws(NodeIDError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        var lowercased = Substring(trimmed.lowercased())
        if lowercased.hasPrefix(Self.prefix) { lowercased = lowercased.dropFirst(Self.prefix.count) }
        var characters = lowercased.filter { $0 != "-" && $0 != " " }
        // The prefix without its dash ("hlaaaq...") is recognised by the length.
        if characters.count == Self.characterCount + 2, characters.hasPrefix("hl") { characters.removeFirst(2) }
        guard characters.count == Self.characterCount else {
            throw .wrongLength(trimmed, count: characters.count)
        }
        var values: [UInt8] = []
        for (index, character) in characters.enumerated() {
            guard let ascii = character.asciiValue, let value = Base32.value(of: ascii) else {
                throw .invalidCharacter(trimmed, character: character, position: index + 1)
            }
            values.append(value)
        }
        guard let key = Base32.decode(values: Array(values[..<Self.keyCharacterCount])), key.count == 32,
            Array(values[Self.keyCharacterCount...]) == Self.checksum(of: key)
        else { throw .checksumMismatch(trimmed) }
        publicKey = key
    }

    /// The 54 characters without prefix or dashes.
    public var compactString: String {
        Base32.encode(publicKey) + String(decoding: Self.checksum(of: publicKey).map { Base32.alphabet[Int($0)] }, as: UTF8.self)
    }

    /// The display form: `hl-` and 9 dash-separated groups of 6 characters.
    public var description: String {
        let characters = Array(compactString)
        let groups = stride(from: 0, to: characters.count, by: Self.groupLength).map {
            String(characters[$0..<min($0 + Self.groupLength, characters.count)])
        }
        return Self.prefix + groups.joined(separator: "-")
    }

    /// The first two groups (`hl-abcdef-ghijkl`, 60 bits): enough to tell nodes apart in logs.
    public var abbreviated: String { String(description.prefix(Self.prefix.count + 2 * Self.groupLength + 1)) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.publicKey.lexicographicallyPrecedes(rhs.publicKey) }

    /// The two checksum characters' 5-bit values: Luhn mod 32 over the key characters, then the first 5
    /// bits of SHA-256(key).
    static func checksum(of key: [UInt8]) -> [UInt8] {
        let values = Array(Base32.encode(key).utf8).map { Base32.value(of: $0) ?? 0 }
        return [luhnCheckValue(values), Array(SHA256.hash(data: key))[0] >> 3]
    }

    /// Luhn mod N for N = 32: from the right, every other value is doubled and its base-32 digits summed;
    /// the check value brings the sum to a multiple of 32. Doubling with digit sum is a bijection on 0...31,
    /// so any single changed value changes the sum.
    static func luhnCheckValue(_ values: [UInt8]) -> UInt8 {
        var sum = 0
        var double = true
        for value in values.reversed() {
            var addend = Int(value) * (double ? 2 : 1)
            addend = addend / 32 + addend % 32
            sum += addend
            double.toggle()
        }
        return UInt8((32 - sum % 32) % 32)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
