/// Why a text is not a valid impairment spec; every message names the bad part and what was expected.
public enum ImpairmentSpecError: Error, Equatable, CustomStringConvertible {
    /// The spec is empty or only blanks and commas.
    case empty
    /// Two commas in a row, or a comma at either end.
    case emptyItem(spec: String)
    /// `key=value` with a key the grammar does not have.
    case unknownKey(String, item: String)
    /// A bare word that is not a preset name.
    case unknownPreset(String)
    /// A preset name after the first item (it would silently undo the items before it).
    case presetNotFirst(String)
    /// The same key twice.
    case repeatedKey(String)
    /// A known key with a value out of range or malformed.
    case invalidValue(key: String, value: String, expected: String)

    public var description: String {
        let keys = "valid keys: " + ImpairmentSpec.keys.joined(separator: ", ")
        let presets = "presets: " + ImpairmentSpec.presets.map(\.name).joined(separator: ", ")
        switch self {
        case .empty:
            return "empty impairment spec (expected key=value items like 'loss=5%,jitter=30ms' or a preset; \(presets))"
        case .emptyItem(let spec):
            return "impairment spec '\(spec)' has an empty item (expected items separated by single commas)"
        case .unknownKey(let key, let item):
            return "unknown impairment key '\(key)' in '\(item)' (\(keys))"
        case .unknownPreset(let word):
            return "unknown impairment preset '\(word)' (\(presets); or key=value items, \(keys))"
        case .presetNotFirst(let name):
            return "impairment preset '\(name)' must be the first item, before any key=value overrides"
        case .repeatedKey(let key):
            return "impairment key '\(key)' is given twice (expected each key at most once)"
        case .invalidValue(let key, let value, let expected):
            return "invalid impairment value '\(value)' for '\(key)' (expected \(expected))"
        }
    }
}
