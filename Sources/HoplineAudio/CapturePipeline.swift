#if canImport(Glibc)
internal import Glibc
#endif

/// The microphone side of a live call, between the device's capture ring (filled on the sound card's clock)
/// and the node's sender (whole frames at the node's rate): cancels the echo of what the speaker played,
/// optionally suppresses noise and controls the gain (`VoiceProcessor`), and corrects the capture clock's
/// drift against the node's monotonic clock with speexdsp at a fractional ratio.
///
/// The echo canceller is told the echo path's delay from the device's own numbers: what waits in the
/// playback ring plus PortAudio's output latency (far end analysed to speaker), plus PortAudio's input
/// latency and what waits in the capture path (microphone to processing).
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

    private func process(_ frame: UnsafeMutableBufferPointer<Float>, backlog: Int) {
        statistics.framesProcessed += 1
        if let processor {
            let waiting = Double(backlog + device.captureRing.availableToRead + device.playbackRing.availableToRead)
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
