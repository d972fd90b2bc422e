import HoplineNet
import HoplineNode
import XCTest

/// The `[relay]` section: every key read, defaults as shipped, and errors that name the key.
final class RelayConfigurationTests: XCTestCase {
    func testEveryRelayKeyIsRead() throws {
        let text = """
            [relay]
            enabled = true
            listen = "127.0.0.1:5740"
            max_sessions = 20
            max_kbps_per_session = 0
            max_total_kbps = 5000
            max_sessions_per_ip = 3
            drain_timeout_s = 2.5
            allow_loopback_peers = true
            deny_private = true
            metrics = "127.0.0.1:9740"
            candidates = ["198.51.100.1:4740", "[2001:db8::1]:4740"]
            """
        let configuration = try HoplineConfiguration.parse(text, path: "r.toml")
        XCTAssertEqual(configuration.relay, RelaySettings(
            listen: try PeerAddress(parsing: "127.0.0.1:5740"), maxSessions: 20, maxKbpsPerSession: 0, maxTotalKbps: 5_000,
            maxSessionsPerIP: 3, drainTimeoutSeconds: 2.5, allowLoopbackPeers: true, denyPrivate: true,
            metrics: try PeerAddress(parsing: "127.0.0.1:9740"), enabled: true))
        XCTAssertEqual(configuration.relayCandidates.map(\.description), ["198.51.100.1:4740", "[2001:db8::1]:4740"])
    }

    func testDefaultsAndEmptyMetrics() throws {
        let configuration = try HoplineConfiguration.parse("[relay]\nmetrics = \"\"\ncandidates = []\n", path: "r.toml")
        XCTAssertEqual(configuration.relay, RelaySettings())
        XCTAssertEqual(configuration.relay.listen.description, "0.0.0.0:4740")
        XCTAssertFalse(configuration.relay.enabled)
        XCTAssertNil(configuration.relay.metrics)
        XCTAssertEqual(configuration.relayCandidates, [])
    }

    func testRelayErrorsNameTheKey() {
        let cases: [(String, String)] = [
            ("[relay]\nmax_session = 1\n", "r.toml: unknown setting 'relay.max_session'"),
            ("[relay]\nenabled = \"yes\"\n", "r.toml: 'relay.enabled' must be true or false"),
            ("[relay]\nmax_sessions = 0\n", "r.toml: invalid relay.max_sessions: 0 (expected 1-16777214)"),
            ("[relay]\nmax_sessions = \"many\"\n", "r.toml: 'relay.max_sessions' must be an integer"),
            ("[relay]\nmax_kbps_per_session = -1\n", "r.toml: invalid relay.max_kbps_per_session: -1 (expected 0 (unlimited) or more)"),
            ("[relay]\nmax_sessions_per_ip = 0\n", "r.toml: invalid relay.max_sessions_per_ip: 0"),
            ("[relay]\ndrain_timeout_s = -1\n", "r.toml: invalid relay.drain_timeout_s: -1.0 (expected 0...3600)"),
            ("[relay]\nlisten = \"relay.example:4740\"\n", "r.toml: invalid relay.listen: invalid address 'relay.example:4740'"),
            ("[relay]\nmetrics = \"9100\"\n", "r.toml: invalid relay.metrics: invalid address '9100'"),
            ("[relay]\ncandidates = \"1.2.3.4:5\"\n", "r.toml: 'relay.candidates' must be an array of strings"),
            ("[relay]\ncandidates = [1]\n", "r.toml: 'relay.candidates' must be an array of strings"),
            ("[relay]\ncandidates = [\"1.2.3.4:5\", \"nope\"]\n", "r.toml: invalid relay.candidates[1]: invalid address 'nope'"),
            ("relay = true\n", "r.toml: 'relay' must be a table [relay]"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try HoplineConfiguration.parse(text, path: "r.toml"), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(text): \(error)")
            }
        }
    }
}
