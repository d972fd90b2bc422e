/// Why text is not a node ID; each case names the text and what was expected.
public enum NodeIDError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    /// `count` base32 characters remained after removing `hl-`, dashes and spaces.
    case wrongLength(String, count: Int)
    /// `position` counts from 1 among the base32 characters (after `hl-`, dashes and spaces).
    case invalidCharacter(String, character: Character, position: Int)
    /// The characters are base32 but the checksum does not match: a typo.
    case checksumMismatch(String)
    /// Raw key bytes were not 32.
    case wrongKeyLength(Int)

    public var description: String {
        switch self {
        case .empty:
            return "empty node ID (expected hl- and 54 characters, as `hopline id` prints)"
        case .wrongLength(let text, let count):
            return "node ID '\(text)' has \(count) characters besides 'hl-' and dashes (expected \(NodeID.characterCount))"
        case .invalidCharacter(let text, let character, let position):
            let hint: String
            switch character {
            case "0": hint = "; did you mean 'o'?"
            case "1": hint = "; did you mean 'l' or 'i'?"
            case "8": hint = "; did you mean 'b'?"
            case "9": hint = "; did you mean 'g'?"
            default: hint = ""
            }
            return "node ID '\(text)' has '\(character)' at position \(position) (expected a-z or 2-7\(hint))"
        case .checksumMismatch(let text):
            return "node ID '\(text)' has a typo: its checksum does not match (check each character against the original)"
        case .wrongKeyLength(let count):
            return "a node ID key is 32 bytes, not \(count)"
        }
    }
}
