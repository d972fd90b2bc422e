import Foundation
import HoplineNet
import HoplineNode
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The identity file on a real filesystem: created 0600 in 0700 directories, reloaded identical, refused
/// when group/world readable or malformed, and created once when several callers race.
final class IdentityStoreTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func mode(_ path: String) -> UInt32 {
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0, path)
        return UInt32(status.st_mode) & 0o7777
    }

    func testCreatesFile0600InNewDirectories0700ThenReloadsIt() throws {
        let path = directory.appendingPathComponent("config/hopline/identity").path
        let first = try IdentityStore.loadOrCreate(path: path)
        XCTAssertTrue(first.created)
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(mode(directory.appendingPathComponent("config").path), 0o700)
        XCTAssertEqual(mode(directory.appendingPathComponent("config/hopline").path), 0o700)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("config/hopline").path),
            ["identity"], "the temporary file is gone")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("node_id = \"\(first.identity.nodeID)\""), text)

        let second = try IdentityStore.loadOrCreate(path: path)
        XCTAssertFalse(second.created)
        XCTAssertEqual(second.identity, first.identity)
        XCTAssertEqual(second.identity.signingPublicKey, first.identity.signingPublicKey)
        XCTAssertEqual(try IdentityStore(path: path).load(), first.identity)
    }

    func testExistingDirectoryKeepsItsMode() throws {
        chmod(directory.path, 0o755)
        _ = try IdentityStore.loadOrCreate(path: directory.appendingPathComponent("identity").path)
        XCTAssertEqual(mode(directory.path), 0o755)
    }

    func testDefaultPathFollowsXDGThenHome() {
        XCTAssertEqual(IdentityStore.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]), "/x/hopline/identity")
        XCTAssertEqual(IdentityStore.defaultPath(environment: ["XDG_CONFIG_HOME": "", "HOME": "/h"]), "/h/.config/hopline/identity")
        XCTAssertEqual(IdentityStore(path: nil, environment: ["HOME": "/h"]).path, "/h/.config/hopline/identity")
        XCTAssertEqual(IdentityStore(path: "/p/id", environment: ["HOME": "/h"]).path, "/p/id")
    }

    func testRefusesAFileGroupOrOthersCanRead() throws {
        let path = directory.appendingPathComponent("identity").path
        _ = try IdentityStore.loadOrCreate(path: path)
        for unsafe: mode_t in [0o644, 0o640, 0o604, 0o660] {
            XCTAssertEqual(chmod(path, unsafe), 0)
            XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path)) { error in
                XCTAssertEqual(error as? IdentityStoreError, .unsafePermissions(path: path, mode: UInt32(unsafe)))
            }
        }
        chmod(path, 0o644)
        XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path)) { error in
            XCTAssertEqual(
                "\(error)",
                "identity file \(path) has mode 0644: readable by group or others (expected 0600); "
                    + "if nobody else could have read it, fix with: chmod 600 \(path)")
        }
        chmod(path, 0o400)
        XCTAssertNoThrow(try IdentityStore.loadOrCreate(path: path), "owner-only read is fine")
    }

    /// A format 1 file (two independent keys: its node ID did not bind its signing key) is refused with
    /// what to do, and nothing is overwritten.
    func testAFormatOneFileIsRefusedWithInstructions() throws {
        let path = directory.appendingPathComponent("old").path
        let text = "format = 1\nnode_id = \"hl-x\"\nx25519_private_key = \"AA==\"\ned25519_private_key = \"AA==\"\n"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path)) { error in
            XCTAssertEqual(error as? IdentityStoreError, .outdatedFormat(path: path))
            XCTAssertTrue("\(error)".contains("is format 1, whose node ID does not bind its signing key"), "\(error)")
            XCTAssertTrue("\(error)".contains("mv \(path) \(path).format1) and run `hopline id`"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text)
    }

    func testMalformedFilesAreRefusedWithTheReason() throws {
        let good = try IdentityStore.loadOrCreate(path: directory.appendingPathComponent("good").path).identity
        let seed = Data(good.seedBytes).base64EncodedString()
        let id = good.nodeID.description
        let cases: [(String, String)] = [
            ("this is not toml", "TOML syntax error at line 1"),
            ("", "missing or non-integer 'format' (expected format = 2)"),
            ("format = 3\n", "format 3 is not supported (expected 2)"),
            ("format = 2\nnode_id = \"\(id)\"\n", "missing or non-string 'seed' (expected 32 bytes in base64)"),
            ("format = 2\nnode_id = \"\(id)\"\nseed = \"%%%\"\n", "'seed' is not valid base64"),
            ("format = 2\nnode_id = \"\(id)\"\nseed = \"AAEC\"\n", "'seed' holds 3 bytes (expected 32)"),
            ("format = 2\nseed = \"\(seed)\"\n", "missing 'node_id' (expected node_id = \"\(id)\")"),
            ("format = 2\nnode_id = \"\(NodeIdentity.generate().nodeID)\"\nseed = \"\(seed)\"\n",
             "does not match the keys (expected \"\(id)\")"),
            ("format = 2\ncolour = \"red\"\n", "unknown key 'colour'"),
            // make fuzz (issue 11): this header aborted the process inside toml++.
            ("format = 2\n[\n", "TOML syntax error at line 2: unterminated table header '['"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = directory.appendingPathComponent("bad-\(index)").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
            XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("identity file \(path) is malformed: "), message)
                XCTAssertTrue(message.contains(expected), "\(message) should contain \(expected)")
            }
        }
        let binary = directory.appendingPathComponent("binary").path
        XCTAssertTrue(
            FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0xFE, 0x00]), attributes: [.posixPermissions: 0o600]))
        XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: binary)) { error in
            XCTAssertEqual(error as? IdentityStoreError, .malformed(path: binary, reason: "not UTF-8 text of at most 16384 bytes"))
        }
    }

    func testADirectoryIsNotAnIdentityFile() throws {
        let path = directory.appendingPathComponent("dir").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        chmod(path, 0o700)
        XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path)) { error in
            XCTAssertEqual(error as? IdentityStoreError, .notARegularFile(path: path))
        }
    }

    /// A blocking open of a FIFO would wait for a writer forever; a writer opens it after 5 s so that a
    /// regression fails this test instead of hanging the run.
    func testAFIFOIsRefusedWithoutHanging() throws {
        let path = directory.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
            let descriptor = open(path, O_WRONLY | O_NONBLOCK)
            if descriptor >= 0 { close(descriptor) }
        }
        let start = Date()
        XCTAssertThrowsError(try IdentityStore.loadOrCreate(path: path)) { error in
            XCTAssertEqual(error as? IdentityStoreError, .notARegularFile(path: path))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "open must not wait for a writer")
    }

    /// Eight callers race to create the same identity: exactly one creates it and all get the same one.
    func testConcurrentFirstRunsAgreeOnOneIdentity() throws {
        let path = directory.appendingPathComponent("race/identity").path
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            results.append(Result { try IdentityStore.loadOrCreate(path: path) })
        }
        let loaded = try results.values.map { try $0.get() }
        XCTAssertEqual(loaded.count, 8)
        XCTAssertEqual(loaded.filter(\.created).count, 1)
        XCTAssertEqual(Set(loaded.map(\.identity.nodeID)).count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("race").path), ["identity"])
    }
}

/// Collects results from concurrent callers.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<(identity: NodeIdentity, created: Bool), Error>] = []

    func append(_ result: Result<(identity: NodeIdentity, created: Bool), Error>) {
        lock.lock()
        stored.append(result)
        lock.unlock()
    }

    var values: [Result<(identity: NodeIdentity, created: Bool), Error>] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
