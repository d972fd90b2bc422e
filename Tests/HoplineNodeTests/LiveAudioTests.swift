import Foundation
import HoplineAudio
import XCTest

/// The live audio path on a real PortAudio stack: `LiveAudioStream` against a private PulseAudio null-sink
/// daemon reached through the ALSA pulse plugin (see shared/TESTING.md). The null sink is a paced virtual
/// speaker and its monitor a virtual microphone that hears it, so what the test writes to the playback ring
/// comes back in the capture ring. PortAudio is initialised in this process, so the daemon's environment is
/// set with `setenv` for the duration of each test and restored afterwards.
final class LiveAudioTests: XCTestCase {
    private static let rate = 48_000
    private static let period = 480

    func testSpeechWrittenToTheSpeakerIsHeardByTheMicrophone() throws {
        let server = try HeadlessAudioServer()
        defer { server.stop() }
        let environment = ProcessEnvironment.apply(server.environment)
        defer { environment.restore() }

        let speech = try Resampler.resample(try WAVReader.read(path: TestSupport.demoSample).audio, to: Self.rate)
        let played = Array(speech.samples.prefix(3 * Self.rate))
        XCTAssertEqual(played.count, 3 * Self.rate, "the demo sample is 5.7 s long")

        let configuration = LiveAudioConfiguration(ringCapacity: 16_384, suggestedLatency: 0.05)
        let stream = try LiveAudioStream(configuration: configuration)
        defer { stream.close() }
        XCTAssertEqual(stream.inputDevice?.name, "default")
        XCTAssertEqual(stream.outputDevice?.name, "default")
        try stream.start()
        try Self.waitUntilFlowing(stream)
        stream.captureRing.discardAvailable()
        let before = stream.statistics

        // Keep the playback ring 200 ms ahead of the device, topped up in 10 ms chunks as the device drains
        // it (the device clock paces the test), so a test thread that a busy machine leaves asleep for a
        // while does not starve the speaker; collect the capture all the while. Bounded: 3 s of speech plus
        // at most 2 s of latency and scheduling slack, at 5 ms or more a turn.
        let lead = 20 * Self.period
        var captured: [Float] = []
        captured.reserveCapacity(played.count + 2 * Self.rate)
        var chunk = [Float](repeating: 0, count: stream.captureRing.capacity)
        var written = 0
        var feeding: (from: LiveAudioStatistics, until: LiveAudioStatistics?)?
        let started = Date()
        for _ in 0..<1_000 {
            while written < played.count && stream.playbackRing.availableToRead <= lead - Self.period {
                let count = min(Self.period, played.count - written)
                let accepted = played[written..<(written + count)].withUnsafeBufferPointer { stream.writePlayback($0) }
                XCTAssertEqual(accepted, count, "the playback ring has room for the lead")
                written += count
            }
            if feeding == nil { feeding = (stream.statistics, nil) }
            if written == played.count && feeding?.until == nil { feeding?.until = stream.statistics }
            let count = chunk.withUnsafeMutableBufferPointer { stream.readCaptured(into: $0) }
            captured += chunk[0..<count]
            // Stop once the capture has had time to hear the end: 300 ms past the last sample written.
            if written == played.count && stream.playbackRing.availableToRead == 0
                && captured.count >= played.count + Self.rate * 3 / 10
            {
                break
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        let elapsed = Date().timeIntervalSince(started)
        try stream.stop()
        let after = stream.statistics
        let fedFrom = try XCTUnwrap(feeding?.from)
        let fedUntil = try XCTUnwrap(feeding?.until, "all speech was written")
        // Over the 3.3 s from the first write to the end, both streams ran on the null sink's clock.
        let capturedFrames = after.framesCaptured - fedFrom.framesCaptured
        let outputFrames = after.outputFrames - fedFrom.outputFrames

        let alignment = try XCTUnwrap(AudioAlignment(reference: played, recording: captured, maxLagSeconds: 1))
        let clean = alignment.segmentCorrelations.filter { $0 > 0.99 }.count
        print(
            "live audio: \(captured.count) samples captured in \(String(format: "%.2f", elapsed)) s; "
                + "loop latency \(String(format: "%.1f", Double(alignment.lag) * 1000 / Double(Self.rate))) ms "
                + "(PortAudio: in \(stream.inputLatency * 1000) ms, out \(stream.outputLatency * 1000) ms); "
                + "correlation \(String(format: "%.5f", alignment.correlation)) over \(alignment.overlap) samples; "
                + "\(clean) of \(alignment.segmentCorrelations.count) voiced 100 ms segments above 0.99, "
                + "worst \(String(format: "%.4f", alignment.segmentCorrelations.min() ?? 0)); "
                + "frames captured \(capturedFrames), output \(outputFrames) since the first write; \(after)")
        // Measured: correlation 1.00000 for the clip and for each of its 29 voiced segments (the null sink
        // stores 16-bit samples, so only quantisation differs). With the devices' default 20 ms buffers (loop
        // latency 40 ms), on a machine loaded to 7-8 on its 2 cores, 4 runs in 8 had a device underflow, which
        // loses a few ms, shifts what follows and spoiled up to 4 segments (clip correlation 0.61-0.99); so
        // this test asks for 50 ms (PortAudio gives 60 ms, loop latency 100 ms): one glitch in about 15 runs
        // under that load (clip correlation 0.69, yet every segment above 0.99). Hence the check per segment:
        // at least 90 % of the voiced segments must match to 0.99. Silence, noise, an inverted, wrong or garbled signal fail it (inverted: 0 of 29).
        XCTAssertGreaterThanOrEqual(alignment.segmentCorrelations.count, 20, "3 s of speech: 20+ voiced segments")
        XCTAssertGreaterThanOrEqual(Double(clean), 0.9 * Double(alignment.segmentCorrelations.count))
        XCTAssertLessThan(alignment.lag, Self.rate / 2, "loop latency above 500 ms")
        // Allow 20 ms missing at head (the pulse stream's start) and tail.
        XCTAssertGreaterThanOrEqual(alignment.overlap, played.count - Self.rate / 50)

        // Counters: everything written was played, the ring never ran dry while the test was feeding it,
        // nothing captured or written was dropped, and the device's two clocks agree.
        XCTAssertEqual(after.framesPlayed - before.framesPlayed, played.count)
        XCTAssertEqual(fedUntil.playbackUnderruns, fedFrom.playbackUnderruns)
        XCTAssertEqual(after.captureOverruns, 0)
        XCTAssertEqual(after.playbackOverruns, 0)
        // The two streams moved the same number of frames, give or take what sits in their buffers at either
        // end: at most 2 x 60 ms plus a period (measured: 960 frames in every run, loaded or not). A stalled
        // stream or one at a wrong rate (44.1 kHz would be 8 % off: 12 000 frames) fails.
        let slack = 2 * Self.rate * 60 / 1_000 + Self.period
        XCTAssertLessThan(abs(capturedFrames - outputFrames), slack, "capture and playback clocks")
    }

    func testDeviceListingAndAStreamShareOnePortAudioSession() throws {
        let server = try HeadlessAudioServer()
        defer { server.stop() }
        let environment = ProcessEnvironment.apply(server.environment)
        defer { environment.restore() }

        let configuration = LiveAudioConfiguration(input: .index(0), output: .name("DEFAULT"))
        let stream = try LiveAudioStream(configuration: configuration)
        XCTAssertEqual(stream.inputDevice?.index, 0)
        XCTAssertEqual(stream.outputDevice?.name, "default")
        try stream.start()
        // Listing shares the stream's PortAudio session (no Pa_Terminate under an open stream).
        XCTAssertFalse(try AudioDeviceList.devices().isEmpty)
        try Self.waitUntilFlowing(stream)
        try stream.stop()
        XCTAssertFalse(stream.isRunning)
        let stopped = stream.statistics.framesCaptured
        try stream.start()
        try Self.waitUntilCaptured(stream, beyond: stopped)
        stream.close()
        XCTAssertThrowsError(try stream.start()) { error in
            XCTAssertEqual(error as? AudioDeviceError, .streamClosed(operation: "start"))
        }
        XCTAssertGreaterThan(stream.statistics.framesCaptured, stopped, "statistics stay readable after close")
        // PortAudio was terminated with the stream; it initialises again for the next user.
        XCTAssertEqual(try AudioDeviceList.devices().map(\.name), ["default"])
    }

    func testAnAbsentDeviceIsRefusedWithTheListOfDevices() throws {
        let server = try HeadlessAudioServer()
        defer { server.stop() }
        let environment = ProcessEnvironment.apply(server.environment)
        defer { environment.restore() }

        XCTAssertThrowsError(try LiveAudioStream(configuration: LiveAudioConfiguration(input: .name("no-such-mic")))) {
            XCTAssertEqual("\($0)", "no input device matching 'no-such-mic'; available: 0: default")
        }
        XCTAssertThrowsError(try LiveAudioStream(configuration: LiveAudioConfiguration(output: .index(7)))) {
            XCTAssertEqual("\($0)", "no output device with index 7; available: 0: default")
        }
        // A failed open leaves PortAudio usable.
        let stream = try LiveAudioStream()
        stream.close()
    }

    func testWithoutASoundServerThereAreNoDevicesAndOpeningSaysSo() throws {
        // No PULSE_SERVER, the system ALSA configuration, and a HOME and runtime directory where no
        // PulseAudio socket or cookie can be found: what a machine without sound looks like.
        let empty = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        var bare = ProcessInfo.processInfo.environment
        bare["PULSE_SERVER"] = nil
        bare["ALSA_CONFIG_PATH"] = nil
        bare["HOME"] = empty.path
        bare["XDG_RUNTIME_DIR"] = empty.path
        let environment = ProcessEnvironment.apply(bare)
        defer { environment.restore() }

        let devices = try AudioDeviceList.devices()
        guard devices.isEmpty else { throw XCTSkip("this machine has sound devices: \(devices.map(\.name))") }
        XCTAssertThrowsError(try LiveAudioStream()) { error in
            XCTAssertEqual(error as? AudioDeviceError, .noDevices)
            XCTAssertTrue("\(error)".hasPrefix("no audio devices found"), "\(error)")
        }
    }

    /// Waits (at most 5 s) until both callbacks run. A freshly idle PulseAudio null sink only notices a new
    /// client's latency at its next 2 s timer wake-up, so the first callbacks can take that long to come.
    private static func waitUntilFlowing(_ stream: LiveAudioStream) throws {
        try waitUntilCaptured(stream, beyond: stream.statistics.framesCaptured + 5 * period)
        let output = stream.statistics.outputFrames
        try waitUntil("the output callback runs") { stream.statistics.outputFrames > output + 5 * period }
    }

    private static func waitUntilCaptured(_ stream: LiveAudioStream, beyond frames: Int) throws {
        try waitUntil("the input callback runs") { stream.statistics.framesCaptured > frames }
    }

    private static func waitUntil(_ what: String, _ condition: () -> Bool) throws {
        for _ in 0..<500 {
            if condition() { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw LiveAudioTestError.timedOut(what)
    }
}

private enum LiveAudioTestError: Error, CustomStringConvertible {
    case timedOut(String)

    var description: String {
        switch self {
        case .timedOut(let what): return "timed out after 5 s waiting until \(what)"
        }
    }
}

/// Where `reference` lies inside `recording`, found by cross-correlation: first of 1 ms energy envelopes over
/// the whole lag range, then sample by sample around the best envelope lag. Besides the whole clip, each
/// voiced 100 ms segment is aligned on its own within 100 ms of the clip's lag, so that a glitch (a gap that
/// shifts what follows) spoils only the segment it falls in.
struct AudioAlignment {
    /// `recording[lag + i]` corresponds to `reference[i]`.
    let lag: Int
    /// Normalised correlation of the two over their overlap at `lag` (1 for identical signals).
    let correlation: Double
    /// Samples of `reference` that `recording` covers at `lag`.
    let overlap: Int
    /// For each 100 ms segment of `reference` louder than a tenth of the loudest: its best correlation.
    let segmentCorrelations: [Double]

    private static let block = 48
    private static let segment = 4_800

    init?(reference: [Float], recording: [Float], maxLagSeconds: Double) {
        let referenceEnvelope = Self.envelope(reference), recordingEnvelope = Self.envelope(recording)
        let maxBlockLag = min(Int(maxLagSeconds * 1_000), recordingEnvelope.count - 1)
        guard maxBlockLag >= 0, !referenceEnvelope.isEmpty else { return nil }
        let whole = 0..<reference.count
        lag = Self.bestLag(
            reference, recording, referenceEnvelope, recordingEnvelope, whole, blockLags: 0...maxBlockLag)
        (correlation, overlap) = Self.correlation(reference, recording, whole, lag: lag)

        let loudness = stride(from: 0, to: reference.count - Self.segment + 1, by: Self.segment).map { start in
            reference[start..<(start + Self.segment)].reduce(0) { $0 + Double($1 * $1) }
        }
        let loudest = loudness.max() ?? 0
        var segments: [Double] = []
        for (index, energy) in loudness.enumerated() where energy > loudest / 100 {  // RMS above a tenth
            let range = (index * Self.segment)..<((index + 1) * Self.segment)
            let center = lag / Self.block
            let best = Self.bestLag(
                reference, recording, referenceEnvelope, recordingEnvelope, range,
                blockLags: max(0, center - 100)...max(0, center + 100))
            segments.append(Self.correlation(reference, recording, range, lag: best).value)
        }
        segmentCorrelations = segments
    }

    /// The sample lag maximising the correlation of `reference[range]` with `recording`: envelopes over
    /// `blockLags`, then samples within two blocks of the best envelope lag.
    private static func bestLag(
        _ reference: [Float], _ recording: [Float], _ referenceEnvelope: [Float], _ recordingEnvelope: [Float],
        _ range: Range<Int>, blockLags: ClosedRange<Int>
    ) -> Int {
        let blocks = (range.lowerBound / block)..<min(referenceEnvelope.count, range.upperBound / block)
        var bestBlock = blockLags.lowerBound, best = -Double.infinity
        for lag in blockLags {
            let score = correlation(referenceEnvelope, recordingEnvelope, blocks, lag: lag).value
            if score > best { (best, bestBlock) = (score, lag) }
        }
        var bestLag = 0
        best = -Double.infinity
        for lag in max(0, (bestBlock - 2) * block)...((bestBlock + 2) * block) {
            let score = correlation(reference, recording, range, lag: lag).value
            if score > best { (best, bestLag) = (score, lag) }
        }
        return bestLag
    }

    /// Mean absolute value of each block of samples, minus the overall mean (so silence scores below zero).
    private static func envelope(_ samples: [Float]) -> [Float] {
        let count = samples.count / block
        var envelope = [Float](repeating: 0, count: count)
        samples.withUnsafeBufferPointer { samples in
            for index in 0..<count {
                var sum: Float = 0
                for offset in 0..<block { sum += abs(samples[index * block + offset]) }
                envelope[index] = sum / Float(block)
            }
        }
        let mean = envelope.reduce(0, +) / Float(max(1, count))
        return envelope.map { $0 - mean }
    }

    /// Normalised correlation of `a[i]` with `b[i + lag]` for the `i` in `range` that both have.
    private static func correlation(
        _ a: [Float], _ b: [Float], _ range: Range<Int>, lag: Int
    ) -> (value: Double, overlap: Int) {
        let end = min(range.upperBound, a.count, b.count - lag)
        guard end > range.lowerBound else { return (0, 0) }
        var ab = 0.0, aa = 0.0, bb = 0.0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for index in range.lowerBound..<end {
                    let x = Double(a[index]), y = Double(b[index + lag])
                    ab += x * y
                    aa += x * x
                    bb += y * y
                }
            }
        }
        return (aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0, end - range.lowerBound)
    }
}

/// Sets the variables PortAudio, ALSA and PulseAudio read for the duration of a test, and puts the old
/// values back. XCTest runs tests one at a time, so no other test sees the changed environment.
struct ProcessEnvironment {
    static let names = ["HOME", "XDG_RUNTIME_DIR", "PULSE_SERVER", "ALSA_CONFIG_PATH", "JACK_NO_START_SERVER"]
    /// Each name with its value before `apply`, nil when it was unset.
    private let saved: [(name: String, value: String?)]

    /// Sets each of `names` to its value in `environment`, or unsets it when `environment` lacks it.
    static func apply(_ environment: [String: String]) -> ProcessEnvironment {
        let saved = names.map { name in (name: name, value: getenv(name).map { String(cString: $0) }) }
        for name in names {
            if let value = environment[name] { setenv(name, value, 1) } else { unsetenv(name) }
        }
        return ProcessEnvironment(saved: saved)
    }

    func restore() {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
}
