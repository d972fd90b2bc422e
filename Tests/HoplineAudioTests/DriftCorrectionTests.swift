import Foundation
import HoplineAudio
import HoplineTestSupport
import XCTest

/// Sound-card clock drift: the rate estimate on exact and jittered points, the fractional resampler's
/// stretch, and an hour of a call against a sound card model running 300 ppm fast or slow on a virtual clock.
final class DriftCorrectionTests: XCTestCase {
    func testTheRateEstimateIsTheSlopeOfTheDevicesFramesAgainstTime() {
        var estimator = ClockRateEstimator(nominalRate: 48_000)
        XCTAssertNil(estimator.ppm)
        for step in 0...200 {
            let seconds = Double(step) * 0.1
            estimator.add(DeviceClockPoint(seconds: 100 + seconds, frames: Int((seconds * 48_000 * 1.000_250).rounded())))
        }
        XCTAssertEqual(try XCTUnwrap(estimator.ppm), 250, accuracy: 0.1)
        // A stream that starts over (frames go back) starts the window over.
        estimator.add(DeviceClockPoint(seconds: 200, frames: 10))
        XCTAssertNil(estimator.ppm)
    }

    func testAStartupBurstAndALaterStepDoNotSkewTheRate() {
        var estimator = ClockRateEstimator(nominalRate: 48_000)
        // The first 2 s: the device takes 100 ms of frames at once to fill its buffer (left out: warm-up).
        estimator.add(DeviceClockPoint(seconds: 0, frames: 0))
        estimator.add(DeviceClockPoint(seconds: 0.01, frames: 4_800))
        var frames = 4_800
        for step in 1...4_000 {  // 40 s of 10 ms callbacks at exactly 48 kHz, with a 100 ms jump at 20 s
            frames += 480
            if step == 2_000 { frames += 4_800 }
            estimator.add(DeviceClockPoint(seconds: 0.01 + Double(step) * 0.01, frames: frames))
        }
        XCTAssertEqual(estimator.steps, 1)
        XCTAssertEqual(try XCTUnwrap(estimator.ppm), 0, accuracy: 0.5)
    }

    func testJitteredCallbackStampsStillGiveTheRateWithinAFewPPM() {
        var generator = SeededGenerator(seed: 3)
        var estimator = ClockRateEstimator(nominalRate: 48_000)
        var frames = 0
        // 480-frame callbacks 300 ppm slow, each stamped up to 5 ms late, for 5 minutes (the window: the
        // slope's standard error is then about 0.7 ppm; after 90 s it is about 4 ppm).
        for index in 0..<30_000 {
            frames += 480
            let time = Double(index + 1) * 480 / (48_000 * (1 - 300e-6)) + Double.random(in: 0...0.005, using: &generator)
            estimator.add(DeviceClockPoint(seconds: time, frames: frames))
        }
        XCTAssertEqual(try XCTUnwrap(estimator.ppm), -300, accuracy: 3)
    }

    func testTheDriftResamplerStretchesByTheRatioAskedFor() throws {
        let resampler = try DriftResampler(rate: 48_000)
        resampler.setPPM(500)
        XCTAssertEqual(resampler.ppm, 500, accuracy: 0.01)
        let input = (0..<480).map { Float(sin(Double($0) * 0.05)) }
        var output = [Float](repeating: 0, count: 1_000)
        var produced = 0
        for _ in 0..<2_000 {  // 20 s
            produced += input.withUnsafeBufferPointer { source in output.withUnsafeMutableBufferPointer { resampler.process(source, into: $0) } }
        }
        let expected = 960_000.0 * 1.0005
        XCTAssertEqual(Double(produced + resampler.latency), expected, accuracy: 2)
        resampler.setPPM(1e9)
        XCTAssertEqual(resampler.ppm, DriftResampler.maximumPPM, accuracy: 0.01)
    }

    func testAnHourAgainstASoundCard300PPMFastKeepsThePlayoutDelayAndDropsNothing() throws {
        try runHour(ppm: 300)
    }

    func testAnHourAgainstASoundCard300PPMSlowKeepsThePlayoutDelayAndDropsNothing() throws {
        try runHour(ppm: -300)
    }

    /// 60 simulated minutes: the node renders a 10 ms chunk every 10 ms of its clock into the playback
    /// pipeline and sends every 20 ms frame the capture pipeline has; the sound card runs `ppm` off.
    /// Uncorrected, the speaker's ring would gain or lose 1.08 s over the hour (underruns or overruns within
    /// a minute), and the capture side would hand the sender 1.08 s too much or too little.
    private func runHour(ppm: Double) throws {
        let card = try VirtualSoundCard(ppm: ppm)
        let playback = try PlaybackPipeline(device: card, processor: nil)
        let capture = try CapturePipeline(device: card, processor: nil)
        let target = Double(playback.leadSamples) / 48_000 + card.outputLatency
        let signal = (0..<48_000).map { Float(0.2 * sin(Double($0) * 0.06)) }
        var frame = [Float](repeating: 0, count: 960)
        var framesSent = 0
        var worstDelayError = 0.0
        var captureOffset: Double?
        var worstCaptureDrift = 0.0
        let warmUp = 1_000  // 10 s: the estimator needs 2 s of points, the servo a few seconds more
        var underrunsAfterWarmUp = 0
        for tick in 1...360_000 {
            let now = Double(tick) * 0.01
            card.advance(to: now)
            let offset = (tick * 480) % (signal.count - 480)
            signal.withUnsafeBufferPointer { playback.play(UnsafeBufferPointer(rebasing: $0[offset..<(offset + 480)])) }
            while frame.withUnsafeMutableBufferPointer({ capture.nextFrame(into: $0) }) { framesSent += 1 }
            if tick == warmUp { underrunsAfterWarmUp = card.playbackUnderruns }
            guard tick >= warmUp else { continue }
            worstDelayError = max(worstDelayError, abs(playback.statistics.delaySeconds - target))
            // What the sender got against what the node's clock says it should have got, in seconds.
            let lead = Double(framesSent * 960) / 48_000 - now
            if captureOffset == nil { captureOffset = lead }
            worstCaptureDrift = max(worstCaptureDrift, abs(lead - (captureOffset ?? lead)))
        }
        let stats = playback.statistics
        print(
            "drift \(ppm) ppm, 60 simulated minutes: playback measured \(stats.measuredPPM ?? .nan) ppm, applied "
                + "\(stats.appliedPPM) ppm, worst delay error \(worstDelayError * 1_000) ms; capture measured "
                + "\(capture.statistics.measuredPPM ?? .nan) ppm, worst drift of the send schedule "
                + "\(worstCaptureDrift * 1_000) ms; underruns \(card.playbackUnderruns), resyncs \(stats.resyncs)")
        XCTAssertEqual(try XCTUnwrap(stats.measuredPPM), ppm, accuracy: 1)
        XCTAssertEqual(try XCTUnwrap(capture.statistics.measuredPPM), ppm, accuracy: 1)
        XCTAssertLessThanOrEqual(worstDelayError, 0.010, "the speaker's delay left its target")
        XCTAssertEqual(card.playbackUnderruns, underrunsAfterWarmUp, "the speaker ran dry")
        XCTAssertEqual(stats.resyncs, 0)
        XCTAssertEqual(card.playbackRing.overrunCount, 0)
        XCTAssertEqual(card.captureRing.overrunCount, 0)
        XCTAssertEqual(capture.statistics.samplesDropped, 0)
        XCTAssertLessThanOrEqual(worstCaptureDrift, 0.010 + 0.020, "the send schedule drifted (one 20 ms frame of slack)")
    }
}
