import Foundation
import HoplineNet
#if canImport(Glibc)
import Glibc
#endif

/// Where a node keeps its `NodeIdentity`: `$XDG_CONFIG_HOME/hopline/identity` (else
/// `~/.config/hopline/identity`) or a path given with `--identity`, in the format `IdentityFile` documents.
///
/// The first `loadOrCreate` generates an identity and writes it atomically with mode 0600 (directories it
/// creates get 0700): a temporary file opened with `O_CREAT|O_EXCL`, written, fsynced, then hard-linked to
/// the final name, which never replaces an existing file, so two nodes starting at once end up with the
/// same identity. Loading refuses a file that group or others can read, or that is not well formed.
/// Blocking file I/O: call it at start-up, not on an event loop.
public struct IdentityStore: Sendable {
    /// The identity file's path.
    public let path: String

    /// `path`, or the default path when nil.
    public init(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.path = path ?? Self.defaultPath(environment: environment)
    }

    /// `$XDG_CONFIG_HOME/hopline/identity`, else `~/.config/hopline/identity`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        HoplineConfigDirectory.path(of: "identity", environment: environment)
    }

    /// Loads the identity at `path` (the default path when nil), creating it first if there is none.
    public static func loadOrCreate(path: String?) throws(IdentityStoreError) -> (identity: NodeIdentity, created: Bool) {
        try IdentityStore(path: path).loadOrCreate()
    }

    /// Loads the identity, creating it first if the file does not exist.
    public func loadOrCreate() throws(IdentityStoreError) -> (identity: NodeIdentity, created: Bool) {
        var status = stat()
        if stat(path, &status) == 0 { return (try load(), false) }
        let code = errno
        guard code == ENOENT else { throw .system(path: path, operation: "read", code: code) }
        return try create()
    }

    /// Loads an existing identity file.
    public func load() throws(IdentityStoreError) -> NodeIdentity {
        // O_NONBLOCK: a FIFO planted at the path must not hang start-up; regular files read as usual.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path: path, operation: "open", code: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(path: path, operation: "stat", code: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        let permissions = UInt32(status.st_mode) & 0o7777
        guard permissions & 0o077 == 0 else { throw .unsafePermissions(path: path, mode: permissions) }
        guard status.st_size <= IdentityFile.maximumSize else {
            throw .malformed(path: path, reason: "\(status.st_size) bytes (expected a few hundred)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
        var length = 0
        while length < bytes.count {
            let result = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + length, $0.count - length) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, operation: "read", code: errno)
            }
            if result == 0 { break }
            length += result
        }
        guard length <= IdentityFile.maximumSize, let text = String(validating: bytes[..<length], as: UTF8.self) else {
            throw .malformed(path: path, reason: "not UTF-8 text of at most \(IdentityFile.maximumSize) bytes")
        }
        return try IdentityFile.parse(text, path: path)
    }

    /// Generates and stores a new identity; if another process created the file meanwhile, loads theirs.
    private func create() throws(IdentityStoreError) -> (identity: NodeIdentity, created: Bool) {
        let directory = Self.parent(of: path)
        try makeDirectories(directory)
        let identity = NodeIdentity.generate()
        let temporary = "\(directory)/.identity-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        try writeNewFile(temporary, contents: Array(IdentityFile.text(of: identity).utf8))
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            let code = errno
            if code == EEXIST { return (try load(), false) }
            // Filesystems without hard links: fall back to rename, which may replace a racing writer's file.
            guard [EPERM, EOPNOTSUPP, EMLINK, ENOSYS].contains(code) else {
                throw .system(path: path, operation: "create", code: code)
            }
            guard rename(temporary, path) == 0 else { throw .system(path: path, operation: "create", code: errno) }
        }
        syncDirectory(directory)
        return (identity, true)
    }

    /// The directory part of `path`: "." for a bare name, "/" for a file in the root.
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// `mkdir -p` with mode 0700 for each directory it creates; existing ones are left as they are.
    private func makeDirectories(_ directory: String) throws(IdentityStoreError) {
        var status = stat()
        if stat(directory, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw .system(path: directory, operation: "create directory", code: ENOTDIR)
            }
            return
        }
        let parent = Self.parent(of: directory)
        if parent != directory, parent != "." { try makeDirectories(parent) }
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw .system(path: directory, operation: "create directory", code: errno)
        }
    }

    /// Creates `file` (which must not exist) with mode 0600, writes `contents` and fsyncs it.
    private func writeNewFile(_ file: String, contents: [UInt8]) throws(IdentityStoreError) {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .system(path: file, operation: "create", code: errno) }
        var failure: IdentityStoreError?
        if fchmod(descriptor, 0o600) != 0 { failure = .system(path: file, operation: "chmod", code: errno) }
        var written = 0
        while failure == nil, written < contents.count {
            let result = contents.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                failure = .system(path: file, operation: "write", code: errno)
            } else {
                written += result
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = .system(path: file, operation: "fsync", code: errno) }
        if close(descriptor) != 0, failure == nil { failure = .system(path: file, operation: "close", code: errno) }
        if let failure {
            unlink(file)
            throw failure
        }
    }

    /// Makes the new directory entry durable; failure only weakens durability, so it is ignored.
    private func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
