import HoplineMedia
import XCTest

final class TimeStretcherTests: XCTestCase {
    /// A voiced-speech stand-in: a 750 Hz carrier under a 125 Hz raised-sine envelope (period 384 samples
    /// at 48 kHz; no shorter lag matches it exactly).
    private func voiced(count: Int) -> [Float] {
        (0..<count).map { index in
            let phase = Float(index % 384) / 384
            let envelope = sin(Float.pi * phase) * sin(Float.pi * phase)
            return 0.5 * envelope * sin(2 * .pi * 750 * Float(index) / 48_000)
        }
    }

    private func largestStep(_ signal: ArraySlice<Float>) -> Float {
        zip(signal, signal.dropFirst()).map { abs($1 - $0) }.max() ?? 0
    }

    func testAccelerateRemovesOnePitchPeriodWithoutAClick() {
        var frame = voiced(count: 960) + [Float](repeating: 0, count: TimeStretcher.maximumLag)
        let original = largestStep(frame[0..<960])
        let length = frame.withUnsafeMutableBufferPointer { TimeStretcher().accelerate($0, count: 960) }
        XCTAssertEqual(960 - length, 384, "exactly one period removed")
        XCTAssertLessThanOrEqual(largestStep(frame[0..<length]), original * 1.1, "no discontinuity at the joins")
    }

    func testExpandRepeatsOnePitchPeriodWithoutAClick() {
        var stretcher = TimeStretcher()
        var frame = voiced(count: 960) + [Float](repeating: 0, count: TimeStretcher.maximumLag)
        let original = largestStep(frame[0..<960])
        let length = frame.withUnsafeMutableBufferPointer { stretcher.expand($0, count: 960) }
        XCTAssertEqual(length - 960, 384)
        XCTAssertLessThanOrEqual(largestStep(frame[0..<length]), original * 1.1)
    }

    func testLimitsAreHonouredAndNoiseIsLeftAlone() {
        var frame = voiced(count: 960) + [Float](repeating: 0, count: TimeStretcher.maximumLag)
        // Not allowed to remove a whole period: no period fits under 200 samples with a good match.
        let limited = frame.withUnsafeMutableBufferPointer { TimeStretcher().accelerate($0, count: 960, maximumSamples: 100) }
        XCTAssertEqual(limited, 960, "below the shortest lag nothing is removed")
        var generator = SystemRandomNumberGenerator()
        var noise = (0..<960).map { _ in Float.random(in: -0.5...0.5, using: &generator) } + [Float](repeating: 0, count: 720)
        let length = noise.withUnsafeMutableBufferPointer { TimeStretcher().accelerate($0, count: 960) }
        XCTAssertEqual(length, 960, "loud noise has no period to remove cleanly")
        var silence = [Float](repeating: 0, count: 960 + 720)
        let shortened = silence.withUnsafeMutableBufferPointer { TimeStretcher().accelerate($0, count: 960, maximumSamples: 300) }
        XCTAssertEqual(shortened, 960 - 300, "silence shortens by the most allowed")
    }
}
