import HoplineAudio
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

    func testAudioSectionSetsVoiceProcessing() throws {
        XCTAssertEqual(HoplineConfiguration().voiceProcessing, VoiceProcessingOptions(echoCancellation: true))
        let text = "[audio]\necho_cancellation = false\nnoise_suppression = true\nauto_gain = true\n"
        let configuration = try HoplineConfiguration.parse(text, path: "c.toml")
        XCTAssertEqual(
            configuration.voiceProcessing,
            VoiceProcessingOptions(echoCancellation: false, noiseSuppression: true, autoGain: true))
        XCTAssertThrowsError(try HoplineConfiguration.parse("[audio]\nauto_gain = 1\n", path: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml: 'audio.auto_gain' must be true or false"), "\(error)")
        }
    }

    func testEchoTailIsReadAndRangeChecked() throws {
        XCTAssertEqual(HoplineConfiguration().voiceProcessing.echoTailMilliseconds, 10)
        let configuration = try HoplineConfiguration.parse("[audio]\necho_tail_ms = 120\n", path: "c.toml")
        XCTAssertEqual(configuration.voiceProcessing.echoTailMilliseconds, 120)
        for value in [0, 4, 501] {
            XCTAssertThrowsError(try HoplineConfiguration.parse("[audio]\necho_tail_ms = \(value)\n", path: "c.toml")) { error in
                XCTAssertTrue("\(error)".hasPrefix("c.toml: invalid audio.echo_tail_ms: \(value)"), "\(error)")
                XCTAssertTrue("\(error)".contains("5...500"), "\(error)")
            }
        }
    }

    func testREDIsOfferedByDefaultAndCanBeTurnedOff() throws {
        XCTAssertTrue(HoplineConfiguration().redundantAudio)
        XCTAssertFalse(try HoplineConfiguration.parse("[codec]\nred = false\n", path: "c.toml").redundantAudio)
        XCTAssertThrowsError(try HoplineConfiguration.parse("[codec]\nred = 2\n", path: "c.toml")) {
            XCTAssertTrue("\($0)".contains("codec.red"), "\($0)")
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

    func testNetworkAndCallSections() throws {
        let text = """
            [network]
            listen_bind = "127.0.0.1:5000"
            rendezvous = "[::1]:4730"
            [call]
            peer_timeout_s = 2.5
            answer_timeout_s = 10
            rekey_after_s = 30
            rekey_after_packets = 4096
            """
        let configuration = try HoplineConfiguration.parse(text, path: "c.toml")
        XCTAssertEqual(configuration.listenBind.description, "127.0.0.1:5000")
        XCTAssertEqual(configuration.rendezvous?.description, "[::1]:4730")
        XCTAssertEqual(configuration.peerTimeoutSeconds, 2.5)
        XCTAssertEqual(configuration.answerTimeoutSeconds, 10)
        XCTAssertEqual(configuration.rekey, RekeyPolicy(afterSeconds: 30, afterPackets: 4096))
        XCTAssertNil(try HoplineConfiguration.parse("[network]\nrendezvous = \"\"\n", path: "c.toml").rendezvous)
        let cases: [(String, String)] = [
            ("[network]\nlisten_bind = \"localhost:1\"\n", "c.toml: invalid network.listen_bind: invalid address 'localhost:1'"),
            ("[network]\nrendezvous = \"1.2.3.4\"\n", "c.toml: invalid network.rendezvous: invalid address '1.2.3.4'"),
            ("[network]\nport = 1\n", "c.toml: unknown setting 'network.port'"),
            ("[call]\npeer_timeout_s = 0\n", "c.toml: invalid call.peer_timeout_s: 0.0 (expected 1...30)"),
            ("[call]\nanswer_timeout_s = 61\n", "c.toml: invalid call.answer_timeout_s: 61.0 (expected 1...60)"),
            ("[call]\nrekey_after_s = 0.5\n", "c.toml: invalid call.rekey_after_s: 0.5 (expected 1...3600)"),
            ("[call]\nrekey_after_packets = 10\n", "c.toml: invalid call.rekey_after_packets: 10 (expected 64...4294967296)"),
            ("[call]\nrekey_after_packets = -1\n", "c.toml: invalid call.rekey_after_packets: -1 (expected 64...4294967296)"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try HoplineConfiguration.parse(text, path: "c.toml"), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(text): \(error)")
            }
        }
    }

    /// Regression (make fuzz, issue 11): a table header starting with a character that starts no key aborted the
    /// process (an assertion in toml++'s `parser::parse_key`, inside TOMLKit); now it is a syntax error at its line.
    func testATableHeaderThatStartsWithNoKeyIsASyntaxErrorNotACrash() {
        let notAKey = "TOML syntax error: a table header must start with a key (a letter, digit, '_', '-' or a quote), not"
        let cases: [(String, String)] = [
            ("[codec]\nbitrate = 24000\n[\n", "x.toml:3:1: TOML syntax error: unterminated table header '['"),
            ("[\u{E9}]\n", "x.toml:1:1: \(notAKey) U+E9"),
            ("[.a]\n", "x.toml:1:1: \(notAKey) '.'"),
            ("[ #]\n", "x.toml:1:1: \(notAKey) '#'"),
            ("[[=]]\n", "x.toml:1:1: \(notAKey) '='"),
            ("x = 1\n  [\t,b]\n", "x.toml:2:3: \(notAKey) ','"),
            // The fuzzer's input: invalid UTF-8 (read as U+FFFD) opening a header.
            ("# A link with li\n\n[\u{FFFD}\u{FFFD}tter_buffer]\ntarget_delay_ms = 40\n", "x.toml:3:1: \(notAKey) U+FFFD"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try HoplineConfiguration.parse(text, path: "x.toml"), text) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }
}
