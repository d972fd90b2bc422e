#if canImport(Glibc)
internal import Glibc
#endif

/// The microphone side of a live call, between the device's capture ring (filled on the sound card's clock)
/// and the node's sender (whole frames at the node's rate): cancels the echo of what the speaker played,
/// optionally suppresses noise and controls the gain (`VoiceProcessor`), and corrects the capture clock's
/// drift against the node's monotonic clock with speexdsp at a fractional ratio.
///
/// When the device records what its speaker really played (`playedRing`), that is the echo canceller's
/// reference, handed over before each batch of microphone frames. The canceller measures the echo delay
/// itself; until it has, it is told the device's own numbers: what waits in the playback ring (when the
/// reference is what was written to it) plus PortAudio's output latency, plus PortAudio's input latency and
/// what waits in the capture path.
///
/// Runs on the node's loop thread (the capture ring's one consumer); never in the real-time callback.
/// Allocates only in `init`.
public final class CapturePipeline {
    private let device: any LiveAudioDevice
    private let processor: VoiceProcessor?
    private let resampler: DriftResampler
    private var estimator: ClockRateEstimator
    private let rate: Double
    private let frameSamples: Int
    private var raw: [Float]
    private var rawCount = 0
    private var stretched: [Float]
    private var played: [Float]
    private var startedPlayed = false
    private let output: SampleRingBuffer
    public private(set) var statistics = CaptureStatistics()

    public init(device: any LiveAudioDevice, processor: VoiceProcessor?) throws(ResamplerError) {
        self.device = device
        self.processor = processor
        rate = Double(device.sampleRate)
        frameSamples = device.sampleRate / 100
        resampler = try DriftResampler(rate: device.sampleRate)
        estimator = ClockRateEstimator(nominalRate: Double(device.sampleRate))
        raw = [Float](repeating: 0, count: device.captureRing.capacity + frameSamples)
        stretched = [Float](repeating: 0, count: frameSamples * 2 + 64)
        played = [Float](repeating: 0, count: processor?.options.echoCancellation == true && device.playedRing != nil ? 4_096 : 0)
        do {
            output = try SampleRingBuffer(minimumCapacity: device.captureRing.capacity * 2)
        } catch {
            throw .rateOutOfRange(rate: device.sampleRate)  // unreachable: the device's ring fits the range
        }
    }

    /// Fills `frame` with the next `frame.count` samples at the node's rate and returns true, or returns false
    /// when the device has not delivered that much yet.
    public func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool {
        pump()
        guard output.availableToRead >= frame.count else { return false }
        return output.read(into: frame) == frame.count
    }

    /// Takes what the device has captured and processes every whole 10 ms frame of it.
    private func pump() {
        if let point = device.captureClock { estimator.add(point) }
        let measured = estimator.ppm
        statistics.measuredPPM = measured
        // Device samples come at (1 + d) times the node's rate: stretch by 1/(1 + d).
        resampler.setPPM(measured.map { (1 / (1 + $0 / 1e6) - 1) * 1e6 } ?? 0)
        statistics.appliedPPM = resampler.ppm
        takePlayed()
        raw.withUnsafeMutableBufferPointer { raw in
            let room = UnsafeMutableBufferPointer(rebasing: raw[rawCount...])
            rawCount += device.captureRing.read(into: room)
            var offset = 0
            while rawCount - offset >= frameSamples {
                let frame = UnsafeMutableBufferPointer(rebasing: raw[offset..<(offset + frameSamples)])
                process(frame, backlog: rawCount - offset - frameSamples)
                offset += frameSamples
            }
            if offset > 0 {
                raw.baseAddress!.update(from: raw.baseAddress! + offset, count: rawCount - offset)
                rawCount -= offset
            }
        }
    }

    /// Hands what the speaker really played to the echo canceller, before the microphone frames that hold its
    /// echo (it was played before they were captured).
    private func takePlayed() {
        guard let ring = device.playedRing, let processor, !played.isEmpty else { return }
        if !startedPlayed {
            // What piled up before the first frame (the ring refuses writes once full) is stale.
            startedPlayed = true
            _ = ring.discardAvailable()
        }
        played.withUnsafeMutableBufferPointer { buffer in
            while true {
                let count = ring.read(into: buffer)
                guard count > 0 else { break }
                processor.analyzeRender(UnsafeBufferPointer(rebasing: buffer[0..<count]))
            }
        }
    }

    private func process(_ frame: UnsafeMutableBufferPointer<Float>, backlog: Int) {
        statistics.framesProcessed += 1
        if let processor {
            // From the reference to the microphone: with the played ring, the reference is what the device took
            // (nothing waits before it); otherwise it was written to the playback ring, which it waits in first.
            let ahead = device.playedRing == nil ? device.playbackRing.availableToRead : 0
            let waiting = Double(backlog + device.captureRing.availableToRead + ahead)
            let delay = waiting / rate + device.inputLatency + device.outputLatency
            statistics.echoDelaySeconds = delay
            var before = 0.0
            for sample in frame { before += Double(sample * sample) }
            processor.processCapture(frame, delayMilliseconds: Int((delay * 1_000).rounded()))
            var after = 0.0
            for sample in frame { after += Double(sample * sample) }
            statistics.energyBeforeProcessing += before
            statistics.energyAfterProcessing += after
        }
        let produced = stretched.withUnsafeMutableBufferPointer { resampler.process(UnsafeBufferPointer(frame), into: $0) }
        let written = stretched.withUnsafeBufferPointer { output.write(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
        statistics.samplesProduced += written
        statistics.samplesDropped += produced - written
    }

    /// Starts the energy sums over (e.g. once the echo canceller has had time to converge).
    public func resetEnergy() {
        statistics.energyBeforeProcessing = 0
        statistics.energyAfterProcessing = 0
    }
}

@available(*, unavailable, message: "CapturePipeline belongs to the node's loop thread")
extension CapturePipeline: Sendable {}

/// What a `CapturePipeline` has done and measured.
public struct CaptureStatistics: Sendable, Equatable {
    /// The microphone's rate against the node's clock, ppm (nil until 2 s of callbacks).
    public var measuredPPM: Double?
    /// The stretch applied now, ppm.
    public var appliedPPM = 0.0
    /// 10 ms device frames processed.
    public var framesProcessed = 0
    /// Samples made available to the sender, at the node's rate.
    public var samplesProduced = 0
    /// Samples lost because the sender fell more than a ring behind.
    public var samplesDropped = 0
    /// The echo path delay last told to the echo canceller, s.
    public var echoDelaySeconds = 0.0
    /// Sums of squares of the microphone before and after voice processing since `resetEnergy`: with the far
    /// end talking and the near end silent, their ratio is the echo return loss enhancement.
    public var energyBeforeProcessing = 0.0
    public var energyAfterProcessing = 0.0

    /// 10 log10(before / after), nil without energy.
    public var echoReturnLossEnhancementDb: Double? {
        guard energyBeforeProcessing > 0, energyAfterProcessing > 0 else { return nil }
        return 10 * log10(energyBeforeProcessing / energyAfterProcessing)
    }
}
