import Foundation
import HoplineNet
import TOMLKit

/// The user's contacts: names mapped to node IDs and optional addresses, from `contacts.toml` beside the
/// configuration (`$XDG_CONFIG_HOME/hopline/contacts.toml`):
///
/// ```toml
/// [contacts.alice]
/// id = "hl-aaaqea-yeauda-ocajbi-fqydio-b4ibce-qtcqkr-mfyyde-nbwha5-dypqbm"
/// address = "192.0.2.10:5004"   # optional
/// ```
///
/// Loading checks every entry: a bad ID or address, a missing `id` or an unknown key is an error naming
/// the file and the contact. Immutable and Sendable once loaded.
public struct ContactBook: Sendable, Equatable {
    /// Every contact, sorted by name.
    public let contacts: [Contact]

    public init(contacts: [Contact] = []) {
        self.contacts = contacts.sorted { $0.name < $1.name }
    }

    /// `$XDG_CONFIG_HOME/hopline/contacts.toml`, else `~/.config/hopline/contacts.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        HoplineConfigDirectory.path(of: "contacts.toml", environment: environment)
    }

    /// The contact called exactly `name`.
    public func contact(named name: String) -> Contact? { contacts.first { $0.name == name } }

    /// The first contact (by name) with this node ID, e.g. to name an incoming caller.
    public func contact(for nodeID: NodeID) -> Contact? { contacts.first { $0.nodeID == nodeID } }

    /// Loads `path` if given (it must exist), else the default path if a file is there, else an empty book.
    public static func load(
        explicitPath path: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ContactBookError) -> ContactBook {
        if let path { return try load(path: path) }
        let fallback = defaultPath(environment: environment)
        if FileManager.default.fileExists(atPath: fallback) { return try load(path: fallback) }
        return ContactBook()
    }

    /// Reads and checks one contacts file.
    public static func load(path: String) throws(ContactBookError) -> ContactBook {
        switch TextFile.read(path: path) {
        case .success(let text): return try parse(text, path: path)
        case .failure(let problem): throw .unreadable(path: path, reason: problem.description)
        }
    }

    /// Parses TOML text; `path` only names the source in errors.
    public static func parse(_ text: String, path: String) throws(ContactBookError) -> ContactBook {
        let table: TOMLTable
        if let problem = TOMLPreflight.problem(in: text) { throw .syntax(path: path, line: problem.line, reason: problem.reason) }
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(path: path, line: error.source.begin.line, reason: error.description)
        } catch {
            throw .syntax(path: path, line: 0, reason: "\(error)")
        }
        for key in table.keys where key != "contacts" {
            throw .invalid(path: path, contact: nil, reason: "unknown key '\(key)' (expected [contacts.NAME] tables)")
        }
        guard let value = table["contacts"] else { return ContactBook() }
        guard let entries = value.table else {
            throw .invalid(path: path, contact: nil, reason: "'contacts' must be a table of [contacts.NAME] tables")
        }
        var contacts: [Contact] = []
        for name in entries.keys {
            guard let entry = entries[name]?.table else {
                throw .invalid(path: path, contact: name, reason: "must be a table [contacts.\(name)] with id = \"hl-...\"")
            }
            contacts.append(try contact(name: name, entry: entry, path: path))
        }
        return ContactBook(contacts: contacts)
    }

    private static func contact(name: String, entry: TOMLTable, path: String) throws(ContactBookError) -> Contact {
        guard !name.isEmpty, !name.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw .invalid(path: path, contact: name, reason: "a contact name must be non-empty text on one line")
        }
        for key in entry.keys where key != "id" && key != "address" {
            throw .invalid(path: path, contact: name, reason: "unknown key '\(key)' (expected id and optional address)")
        }
        guard let idText = entry["id"]?.string else {
            throw .invalid(path: path, contact: name, reason: "missing id = \"hl-...\" (the node ID `hopline id` prints)")
        }
        let nodeID: NodeID
        do {
            nodeID = try NodeID(parsing: idText)
        } catch {
            throw .invalid(path: path, contact: name, reason: "invalid id: \(error.description)")
        }
        var address: PeerAddress?
        if let addressValue = entry["address"] {
            guard let addressText = addressValue.string else {
                throw .invalid(path: path, contact: name, reason: "address must be a string \"HOST:PORT\"")
            }
            do {
                address = try PeerAddress(parsing: addressText)
            } catch {
                throw .invalid(path: path, contact: name, reason: error.description)
            }
        }
        return Contact(name: name, nodeID: nodeID, address: address)
    }
}
