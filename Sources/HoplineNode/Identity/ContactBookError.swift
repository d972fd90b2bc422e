/// Why the contacts file could not be used; each names the file and, where there is one, the contact.
public enum ContactBookError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case syntax(path: String, line: Int, reason: String)
    /// `contact` is nil for a problem outside any contact's table.
    case invalid(path: String, contact: String?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read contacts \(path): \(reason)"
        case .syntax(let path, let line, let reason): return "\(path):\(line): TOML syntax error: \(reason)"
        case .invalid(let path, let contact?, let reason): return "\(path): contact '\(contact)': \(reason)"
        case .invalid(let path, nil, let reason): return "\(path): \(reason)"
        }
    }
}
