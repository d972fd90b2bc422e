import HoplineDiscovery
import HoplineNode
import XCTest

/// The `[dht]` section: every key read, the shipped defaults, and errors that name the key.
final class DHTConfigurationTests: XCTestCase {
    func testEveryDHTKeyIsRead() throws {
        let text = """
            [dht]
            network = 7
            port = 4222
            bootstrap = ["127.0.0.1:4222", "boot.example.org:4222", "[::1]:4223"]
            """
        let configuration = try HoplineConfiguration.parse(text, path: "d.toml")
        XCTAssertEqual(configuration.dht.network, 7)
        XCTAssertEqual(configuration.dht.port, 4222)
        XCTAssertEqual(configuration.dht.bootstrap.map(\.description), ["127.0.0.1:4222", "boot.example.org:4222", "[::1]:4223"])
        XCTAssertTrue(configuration.dht.enabled)
    }

    func testDefaultsLeaveTheDHTOff() throws {
        let configuration = try HoplineConfiguration.parse("", path: "d.toml")
        XCTAssertEqual(configuration.dht, DHTSettings(network: 18508, port: 0, bootstrap: []))
        XCTAssertFalse(configuration.dht.enabled)
    }

    func testBadValuesNameTheKey() {
        for (text, message) in [
            ("[dht]\nport = 70000", "d.toml: invalid dht.port: 70000 (expected 0 (any) or 1-65535)"),
            ("[dht]\nnetwork = -1", "d.toml: invalid dht.network: -1 (expected 0-4294967295)"),
            ("[dht]\nbootstrap = [\"nowhere\"]", "d.toml: invalid dht.bootstrap[0]: invalid DHT bootstrap node 'nowhere': expected HOST:PORT"),
            ("[dht]\nbootstraps = []", "d.toml: unknown setting 'dht.bootstraps' (see config/hopline.toml for the keys)"),
        ] {
            XCTAssertThrowsError(try HoplineConfiguration.parse(text, path: "d.toml")) { XCTAssertEqual("\($0)", message) }
        }
    }
}
