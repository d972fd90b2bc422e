#if canImport(Glibc)
import Glibc
#endif

/// Why the identity file could not be loaded or created; each names the file and what to do.
public enum IdentityStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file can be read by group or others (`mode` is the permission bits).
    case unsafePermissions(path: String, mode: UInt32)
    case notARegularFile(path: String)
    case malformed(path: String, reason: String)
    /// A format 1 file: two independent keys, whose node ID does not bind the signing key.
    case outdatedFormat(path: String)
    /// A system call failed: `operation` names it, `code` is errno.
    case system(path: String, operation: String, code: Int32)

    public var description: String {
        switch self {
        case .unsafePermissions(let path, let mode):
            return "identity file \(path) has mode \(String(mode, radix: 8).leftPadded(to: 4)): readable by group or others "
                + "(expected 0600); if nobody else could have read it, fix with: chmod 600 \(path)"
        case .notARegularFile(let path):
            return "identity file \(path) is not a regular file"
        case .malformed(let path, let reason):
            return "identity file \(path) is malformed: \(reason)"
        case .outdatedFormat(let path):
            return "identity file \(path) is format 1, whose node ID does not bind its signing key (anyone could "
                + "sign records for it); Hopline now derives both keys from one seed. Move it aside "
                + "(mv \(path) \(path).format1) and run `hopline id` to create a new identity: the node ID changes, so "
                + "give your contacts the new one"
        case .system(let path, let operation, let code):
            return "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
