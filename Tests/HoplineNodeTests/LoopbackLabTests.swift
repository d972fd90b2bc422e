import HoplineAudio
import HoplineCodec
import HoplineNode
import XCTest

final class LoopbackLabTests: XCTestCase {
    private func demoInput() throws -> [Float] {
        let contents = try WAVReader.read(path: TestSupport.demoSample)
        return try Resampler.resample(contents.audio, to: 48_000).samples
    }

    func testFastLoopbackReproducesTheSpeechSample() throws {
        let input = try demoInput()
        let outcome = try LoopbackLab(options: LoopbackOptions(pacing: .fast)).run(input: input)
        XCTAssertEqual(outcome.output.count, input.count, "output has exactly the input's length")
        // Measured on the committed sample: 0.96 at the best lag (-2 samples: libopus's decoder delay in SILK/
        // hybrid mode is a few samples under the encoder's reported look-ahead). A broken pipeline (lost,
        // reordered or misaligned frames) falls far below 0.9.
        let score = TestSupport.bestCorrelation(input, outcome.output, maxLag: 48)
        XCTAssertGreaterThan(score, 0.9)
        let report = outcome.report
        XCTAssertEqual(report.frames.sent, report.frames.encoded)
        XCTAssertEqual(report.frames.received, report.frames.sent)
        XCTAssertEqual(report.frames.decoded, report.frames.sent)
        XCTAssertEqual(report.frames.lost, 0)
        XCTAssertEqual(report.frames.late, 0)
        XCTAssertEqual(report.frames.concealed, 0)
        // 20 ms frame + 20 ms target + 1 ms playout phase + 6.5 ms look-ahead, exactly, on a virtual clock.
        XCTAssertEqual(report.endToEndLatencyMs.mean, 47.5, accuracy: 0.01)
        XCTAssertEqual(report.jitterBufferDelayMs.p95, 21, accuracy: 0.01)
        XCTAssertEqual(report.bitrate.payloadKbps, 32, accuracy: 6)
    }

    func testFastRunsAreIdentical() throws {
        let input = Array(try demoInput().prefix(48_000 * 2))
        let lab = try LoopbackLab(options: LoopbackOptions(pacing: .fast))
        let first = try lab.run(input: input)
        let second = try lab.run(input: input)
        XCTAssertEqual(first.output, second.output)
        XCTAssertEqual(first.report.frames, second.report.frames)
        XCTAssertEqual(first.report.endToEndLatencyMs, second.report.endToEndLatencyMs)
    }

    func testRealTimeRunMatchesTheFastRunAndTakesRealTime() throws {
        let input = Array(try demoInput().prefix(48_000 * 2))
        let fast = try LoopbackLab(options: LoopbackOptions(pacing: .fast)).run(input: input)
        let live = try LoopbackLab(options: LoopbackOptions(pacing: .realTime)).run(input: input)
        XCTAssertEqual(live.report.frames.lost, 0)
        XCTAssertEqual(live.report.frames.late, 0)
        XCTAssertEqual(live.output, fast.output, "real-time pacing on a clean loopback gives the same audio")
        XCTAssertGreaterThan(live.report.cpu.wallSeconds, 1.9, "2 s of audio is paced by the clock")
        XCTAssertEqual(live.report.endToEndLatencyMs.mean, 47.5, accuracy: 3)
    }

    func testEveryFrameSizeAndDTXRunClean() throws {
        var input = Array(try demoInput().prefix(48_000 * 2))
        input += [Float](repeating: 0, count: 48_000)  // a second of silence for DTX
        for frameMs in OpusSettings.allowedFrameMilliseconds {
            let codec = OpusSettings(frameMilliseconds: frameMs, discontinuousTransmission: true)
            let outcome = try LoopbackLab(options: LoopbackOptions(codec: codec, pacing: .fast)).run(input: input)
            XCTAssertEqual(outcome.output.count, input.count)
            XCTAssertEqual(outcome.report.frames.lost, 0, "\(frameMs) ms")
            XCTAssertEqual(outcome.report.frames.concealed, 0, "\(frameMs) ms")
            XCTAssertGreaterThan(outcome.report.frames.dtxSuppressed, 0, "\(frameMs) ms: DTX left silence unsent")
            XCTAssertGreaterThan(outcome.report.frames.comfortNoise, 0, "\(frameMs) ms: DTX pauses play comfort noise")
            XCTAssertGreaterThan(TestSupport.bestCorrelation(input, outcome.output, maxLag: 48), 0.85, "\(frameMs) ms")
        }
    }

    func testRejectsEmptyInputAndBadOptions() {
        XCTAssertThrowsError(try LoopbackLab(options: LoopbackOptions(pacing: .fast)).run(input: [])) {
            XCTAssertEqual($0 as? LoopbackError, .emptyInput)
        }
        XCTAssertThrowsError(try LoopbackLab(options: LoopbackOptions(jitterTargetMilliseconds: -1)))
        XCTAssertThrowsError(try LoopbackLab(options: LoopbackOptions(codec: OpusSettings(complexity: 12))))
    }
}
