import Foundation
import HoplineNet
import TOMLKit

/// The text of an identity file: a small TOML document with the identity's seed in base64.
///
/// ```toml
/// # Hopline node identity. Secret: anyone with this file can act as this node. Keep it mode 0600.
/// format = 2
/// node_id = "hl-..."                  # derived from seed; checked on load
/// seed = "BASE64"                     # 32 bytes: the Ed25519 signing key; the X25519 key is derived from it
/// ```
///
/// Format 1 (two independent keys, so the node ID did not bind the signing key) is refused with what to do.
enum IdentityFile {
    static let format = 2
    static let maximumSize = 16 * 1024

    static func text(of identity: NodeIdentity) -> String {
        """
        # Hopline node identity. Secret: anyone with this file can act as this node. Keep it mode 0600.
        # One seed: the Ed25519 signing key, from which the X25519 key and the node ID are derived, so the node
        # ID binds both. `hopline id` prints it.
        format = \(format)
        node_id = "\(identity.nodeID)"
        seed = "\(Data(identity.seedBytes).base64EncodedString())"

        """
    }

    /// Parses and checks the text; `path` only names the file in errors.
    static func parse(_ text: String, path: String) throws(IdentityStoreError) -> NodeIdentity {
        let table: TOMLTable
        if let problem = TOMLPreflight.problem(in: text) {
            throw .malformed(path: path, reason: "TOML syntax error at line \(problem.line): \(problem.reason)")
        }
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .malformed(path: path, reason: "TOML syntax error at line \(error.source.begin.line): \(error.description)")
        } catch {
            throw .malformed(path: path, reason: "TOML syntax error: \(error)")
        }
        guard let format = table["format"]?.int else {
            throw .malformed(path: path, reason: "missing or non-integer 'format' (expected format = \(Self.format))")
        }
        if format == 1 { throw .outdatedFormat(path: path) }
        guard format == Self.format else {
            throw .malformed(path: path, reason: "format \(format) is not supported (expected \(Self.format))")
        }
        let known: Set<String> = ["format", "node_id", "seed"]
        for key in table.keys where !known.contains(key) {
            throw .malformed(path: path, reason: "unknown key '\(key)' (expected \(known.sorted().joined(separator: ", ")))")
        }
        let seed = try key("seed", in: table, path: path)
        let identity: NodeIdentity
        do {
            identity = try NodeIdentity(seed: seed)
        } catch {
            throw .malformed(path: path, reason: error.description)
        }
        guard let written = table["node_id"]?.string else {
            throw .malformed(path: path, reason: "missing 'node_id' (expected node_id = \"\(identity.nodeID)\")")
        }
        guard (try? NodeID(parsing: written)) == identity.nodeID else {
            throw .malformed(
                path: path, reason: "node_id \"\(written)\" does not match the keys (expected \"\(identity.nodeID)\")")
        }
        return identity
    }

    private static func key(_ name: String, in table: TOMLTable, path: String) throws(IdentityStoreError) -> [UInt8] {
        guard let text = table[name]?.string else {
            throw .malformed(path: path, reason: "missing or non-string '\(name)' (expected 32 bytes in base64)")
        }
        guard let data = Data(base64Encoded: text) else {
            throw .malformed(path: path, reason: "'\(name)' is not valid base64")
        }
        guard data.count == 32 else {
            throw .malformed(path: path, reason: "'\(name)' holds \(data.count) bytes (expected 32)")
        }
        return Array(data)
    }
}
