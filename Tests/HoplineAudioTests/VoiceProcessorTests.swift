import HoplineAudio
import XCTest

/// The echo canceller's parts on exact, synthetic signals (the live path is `EchoCancellationTests`): the delay
/// estimator on a known delay, and speexdsp's filter through `VoiceProcessor` on a pure-delay, 0 dB echo path,
/// alone and in double talk.
final class VoiceProcessorTests: XCTestCase {
    private static let rate = 48_000

    /// Deterministic noise (a 64-bit LCG) low-passed to voice's band (three one-pole filters, about 1.5 kHz:
    /// WebRTC's 48 kHz band split after the canceller does not rebuild the top bands exactly), optionally in
    /// syllables of 0.2 s with 0.1 s pauses, like speech.
    private func noise(seconds: Double, seed: UInt64, amplitude: Float = 0.5, syllables: Bool = false) -> [Float] {
        var state = seed
        var poles: (Float, Float, Float) = (0, 0, 0)
        let count = Int(seconds * Double(Self.rate))
        return (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
            poles.0 += (unit - poles.0) * 0.2
            poles.1 += (poles.0 - poles.1) * 0.2
            poles.2 += (poles.1 - poles.2) * 0.2
            let on = !syllables || (index % 14_400) < 9_600
            return on ? poles.2 * amplitude : 0
        }
    }

    func testTheDelayEstimatorFindsAKnownDelay() {
        let reference = noise(seconds: 3, seed: 1, syllables: true)
        let delay = 3_517
        var estimator = EchoDelayEstimator(sampleRate: Self.rate)
        // The reference runs 30 ms ahead of the microphone, as a speaker ring does.
        var found: EchoDelayEstimator.Estimate?
        for frame in 0..<(reference.count / 480) {
            let start = frame * 480
            reference.withUnsafeBufferPointer { estimator.addReference(UnsafeBufferPointer(rebasing: $0[start..<(start + 480)])) }
            let micStart = start - 1_440
            guard micStart >= 0 else { continue }
            let mic = (micStart..<(micStart + 480)).map { $0 >= delay ? reference[$0 - delay] * 0.5 : 0 }
            mic.withUnsafeBufferPointer { estimator.addMicrophone($0) }
            if frame % 100 == 0, let estimate = estimator.estimate() { found = estimate }
        }
        let estimate = try? XCTUnwrap(found)
        // Microphone sample m holds reference sample m - 3517.
        XCTAssertEqual(Double(estimate?.offset ?? 0), Double(-delay), accuracy: Double(estimator.decimation))
        XCTAssertEqual(Double(estimate?.lag ?? 0), Double(delay + 1_440), accuracy: Double(estimator.decimation))
        // White noise decorrelates within the 24-sample grain, so the match is about 0.5 here (speech, mostly
        // below 2 kHz, matches far better).
        XCTAssertGreaterThan(estimate?.correlation ?? 0, 0.45)
    }

    func testTheDelayEstimatorGivesNothingWithoutTheFarEnd() {
        var estimator = EchoDelayEstimator(sampleRate: Self.rate)
        let silence = [Float](repeating: 0, count: 480)
        let talk = noise(seconds: 0.01, seed: 2)
        for _ in 0..<300 {
            silence.withUnsafeBufferPointer { estimator.addReference($0) }
            talk.withUnsafeBufferPointer { estimator.addMicrophone($0) }
        }
        XCTAssertNil(estimator.estimate())
    }

    /// Runs `reference` through the speaker side and `reference` delayed by `delay` (0 dB: the microphone hears
    /// the speaker at full level) plus `near` through the microphone side, the device telling a wrong delay.
    private func cancel(
        reference: [Float], near: [Float], delay: Int, tuning: EchoCancellerTuning = .init()
    ) throws -> (output: [Float], processor: VoiceProcessor) {
        let processor = try VoiceProcessor(
            options: VoiceProcessingOptions(echoCancellation: true), sampleRate: Self.rate, echoCanceller: tuning)
        var output: [Float] = []
        var frame = [Float](repeating: 0, count: 480)
        for index in 0..<(reference.count / 480) {
            let start = index * 480
            reference.withUnsafeBufferPointer { processor.analyzeRender(UnsafeBufferPointer(rebasing: $0[start..<(start + 480)])) }
            for sample in 0..<480 {
                let position = start + sample
                frame[sample] = (position >= delay ? reference[position - delay] : 0) + (position < near.count ? near[position] : 0)
            }
            frame.withUnsafeMutableBufferPointer { processor.processCapture($0, delayMilliseconds: 20) }
            output += frame
        }
        return (output, processor)
    }

    func testAPureDelayEchoIsCancelledByMoreThan30dB() throws {
        let reference = noise(seconds: 5, seed: 3, syllables: true)
        let (output, processor) = try cancel(reference: reference, near: [], delay: 4_321)
        let tail = Self.rate * 3
        var before = 0.0, after = 0.0
        for index in tail..<output.count {
            let echo = reference[index - 4_321]
            before += Double(echo * echo)
            after += Double(output[index] * output[index])
        }
        let erle = 10 * log10(before / after)
        let metrics = try XCTUnwrap(processor.echoMetrics)
        print("synthetic echo: ERLE \(erle) dB after 3 s; the canceller's own: \(metrics)")
        XCTAssertGreaterThan(erle, 30)
        XCTAssertGreaterThan(metrics.echoReturnLossEnhancementDb, 30)
        XCTAssertEqual(try XCTUnwrap(metrics.delayMilliseconds), 4_321.0 / 48, accuracy: 1)
    }

    /// The linear filter alone (no residual echo suppressor) leaves the near end as it would pass with no far
    /// end at all; with the suppressor (the default) the near end is shaped a little while both talk.
    func testDoubleTalkLeavesTheNearEndAlone() throws {
        let linear = try doubleTalk(tuning: EchoCancellerTuning(residualSuppressionDb: nil))
        XCTAssertGreaterThan(linear.correlation, 0.98)
        XCTAssertGreaterThan(linear.snr, 20)
        let suppressed = try doubleTalk(tuning: EchoCancellerTuning())
        XCTAssertGreaterThan(suppressed.correlation, 0.95)
        XCTAssertGreaterThan(suppressed.snr, 10)
    }

    private func doubleTalk(tuning: EchoCancellerTuning) throws -> (correlation: Double, snr: Double) {
        let reference = noise(seconds: 6, seed: 4, syllables: true)
        // The near end starts after 3 s at the far end's level, its syllables half overlapping the far end's.
        let near = [Float](repeating: 0, count: Self.rate * 3 + 4_800) + noise(seconds: 3, seed: 5, syllables: true)
        let (output, _) = try cancel(reference: reference, near: near, delay: 2_000, tuning: tuning)
        // The near end as the processor passes it with no far end at all (speexdsp's DC notch and WebRTC's
        // high-pass filter shape it too): double talk must leave that alone.
        let (alone, _) = try cancel(
            reference: [Float](repeating: 0, count: reference.count), near: near, delay: 2_000, tuning: tuning)
        var dot = 0.0, nearPower = 0.0, outputPower = 0.0, error = 0.0
        for index in (Self.rate * 4)..<output.count {
            dot += Double(output[index] * alone[index])
            nearPower += Double(alone[index] * alone[index])
            outputPower += Double(output[index] * output[index])
            error += Double((output[index] - alone[index]) * (output[index] - alone[index]))
        }
        let correlation = dot / (nearPower * outputPower).squareRoot()
        let snr = 10 * log10(nearPower / error)
        print("synthetic double talk (\(tuning)): correlation with the near end \(correlation), near end to rest \(snr) dB")
        return (correlation, snr)
    }

    func testWithoutEchoCancellationThereAreNoEchoMetrics() throws {
        let processor = try VoiceProcessor(options: VoiceProcessingOptions(echoCancellation: false, noiseSuppression: true))
        var frame = noise(seconds: 0.01, seed: 6)
        for _ in 0..<200 { frame.withUnsafeMutableBufferPointer { processor.processCapture($0, delayMilliseconds: 0) } }
        XCTAssertNil(processor.echoMetrics)
        XCTAssertEqual(processor.errors, 0)
    }
}
