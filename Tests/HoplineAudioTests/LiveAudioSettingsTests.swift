import HoplineAudio
import XCTest

/// `LiveAudioStream` refuses bad settings before it touches PortAudio, so these need no sound server.
final class LiveAudioSettingsTests: XCTestCase {
    func testSettingsOutOfRangeAreRefusedByName() {
        let cases: [(LiveAudioConfiguration, String)] = [
            (
                LiveAudioConfiguration(sampleRate: 1_000),
                "live audio sample rate 1000 is out of range (expected 8000...192000 Hz)"
            ),
            (
                LiveAudioConfiguration(framesPerBuffer: 0),
                "live audio frames per buffer 0 is out of range (expected 1...48000 frames, at most one second)"
            ),
            (
                LiveAudioConfiguration(ringCapacity: 0),
                "live audio ring capacity 0 is out of range (expected 1...16777216 samples)"
            ),
            (
                LiveAudioConfiguration(suggestedLatency: -0.01),
                "live audio suggested latency -0.01 s is out of range (expected 0...1 s)"
            ),
            (
                LiveAudioConfiguration(suggestedLatency: .nan),
                "live audio suggested latency nan s is out of range (expected 0...1 s)"
            ),
        ]
        for (configuration, message) in cases {
            XCTAssertThrowsError(try LiveAudioStream(configuration: configuration)) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }
}
