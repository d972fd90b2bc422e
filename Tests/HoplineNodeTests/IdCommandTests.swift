import Foundation
import HoplineNet
import XCTest

/// `hopline id` as a user runs it: a child process with its own XDG_CONFIG_HOME.
final class IdCommandTests: XCTestCase {
    func testFirstRunCreatesAndLaterRunsReprintTheSameID() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory.path
        let path = directory.path + "/hopline/identity"

        let first = try TestSupport.runHopline(["id"], environment: environment)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderr, "created new identity at \(path)\n")
        let printed = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(first.stdout, printed + "\n", "one line")
        XCTAssertEqual(try NodeID(parsing: printed).description, printed)

        let second = try TestSupport.runHopline(["id"], environment: environment)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stdout, first.stdout)
        XCTAssertEqual(second.stderr, "", "nothing created the second time")
    }

    func testIdentityOptionAndUnsafeFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/elsewhere/node.key"
        let created = try TestSupport.runHopline(["id", "--identity", path])
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssertEqual(created.stderr, "created new identity at \(path)\n")
        chmod(path, 0o644)
        let refused = try TestSupport.runHopline(["id", "--identity", path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.contains("identity file \(path) has mode 0644"), refused.stderr)
    }
}
