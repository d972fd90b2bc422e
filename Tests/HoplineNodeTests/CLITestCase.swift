import Foundation
import XCTest

/// A test case that runs the `hopline` binary: skipped with a reason when the CLI is not built, and given a
/// fresh temporary directory (removed afterwards) for identities, recordings and other files.
class CLITestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: TestSupport.hoplineBinary),
            "build the CLI first: swift build --build-tests")
        directory = try TestSupport.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// A path inside this test's temporary directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
