import HoplineCodec
import HoplineNode
import XCTest

final class ConfigurationTests: XCTestCase {
    func testShippedDefaultConfigMatchesBuiltInDefaults() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("config/hopline.toml").path
        XCTAssertEqual(try HoplineConfiguration.load(path: path), HoplineConfiguration())
    }

    func testShippedExamplesLoad() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("config/examples/low-bandwidth.toml").path
        let configuration = try HoplineConfiguration.load(path: path)
        XCTAssertEqual(configuration.codec.bitrate, 12_000)
        XCTAssertTrue(configuration.codec.discontinuousTransmission)
    }

    func testErrorsNameTheFileAndKey() {
        let cases: [(String, String)] = [
            ("[codec]\nbitrat = 1\n", "c.toml: unknown setting 'codec.bitrat'"),
            ("[codecs]\n", "c.toml: unknown setting 'codecs'"),
            ("[codec]\nbitrate = \"high\"\n", "c.toml: 'codec.bitrate' must be an integer"),
            ("[codec]\nfec = 1\n", "c.toml: 'codec.fec' must be true or false"),
            ("[codec]\nframe_ms = 25\n", "c.toml: invalid codec: invalid frame-ms 25"),
            ("[jitter_buffer]\ntarget_delay_ms = 5000\n", "c.toml: invalid jitter_buffer.target_delay_ms"),
            ("[codec\n", "c.toml:1:"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try HoplineConfiguration.parse(text, path: "c.toml"), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(text): \(error)")
            }
        }
    }

    func testMissingExplicitFileIsAnError() {
        XCTAssertThrowsError(try HoplineConfiguration.load(explicitPath: "/nonexistent/hopline.toml")) {
            XCTAssertEqual("\($0)", "cannot read configuration /nonexistent/hopline.toml: no such file")
        }
    }

    func testDefaultPathFollowsXDG() {
        XCTAssertEqual(
            HoplineConfiguration.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]), "/x/hopline/hopline.toml")
        XCTAssertEqual(HoplineConfiguration.defaultPath(environment: ["HOME": "/h"]), "/h/.config/hopline/hopline.toml")
    }
}
