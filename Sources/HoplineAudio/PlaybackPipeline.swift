/// The speaker side of a live call, between the node's playout (chunks on the node's clock) and the device's
/// playback ring (drained on the sound card's clock): corrects the two clocks' drift, keeps the ring's fill
/// (the speaker's share of the playout delay) at its target, and shows the echo canceller exactly what the
/// speaker is given.
///
/// - **Drift**: the device's real rate is measured against the node's monotonic clock from its callbacks'
///   stamps (`ClockRateEstimator`, least squares over 60 s); the chunks are stretched by that much with
///   speexdsp at a fractional ratio (`DriftResampler`), plus a slow pull of the ring's smoothed fill towards
///   `leadSamples` (10 s time constant, at most 2000 ppm) that takes up what the estimate misses.
/// - **Resync**: should the smoothed fill be more than 50 ms above the target in the first 10 s (measured: a
///   fresh PulseAudio null sink takes 1-2 s to start draining, which left 190 ms queued), or more than 80 ms
///   later, the excess is skipped from the next chunks at once (at most once a second in the first 10 s, once
///   per 10 s after). Smaller excursions are
///   left to the servo: on a loaded machine the device stalls for 30-40 ms now and then and mostly catches
///   up by itself (a tighter rule dropped audio many times a second here). Should the ring be found empty with the smoothed fill 20 ms or more below
///   the target (a long scheduling gap starved the device), silence is inserted up to the target. Each is
///   counted. (A real device drains the ring in bursts, so a tighter rule fired many times a second here.)
/// - **Echo reference**: every sample written to the ring goes to `processor.analyzeRender` in 10 ms frames,
///   unless the device records what it really played (`playedRing`, underrun silence included): then the
///   `CapturePipeline` feeds the canceller from that.
///
/// Runs on the node's loop thread (the ring's one producer); never in the real-time callback. Allocates only
/// in `init`.
public final class PlaybackPipeline {
    /// The smoothed fill the pipeline holds the ring at, samples.
    public let leadSamples: Int
    private let device: any LiveAudioDevice
    private let processor: VoiceProcessor?
    private let resampler: DriftResampler
    private var estimator: ClockRateEstimator
    private let rate: Double
    private var scratch: [Float]
    private var render: [Float]
    private var renderCount = 0
    private var primed = false
    private var smoothedFill = 0.0
    private var chunks = 0
    private var skipping = 0
    private var lastResync = -1_000
    public private(set) var statistics = PlaybackStatistics()

    /// Smoothing of the fill per chunk (about 1 s at 10 ms chunks), the servo's time constant (s) and bound.
    private static let smoothing = 0.01
    private static let servoSeconds = 10.0
    private static let servoLimitPPM = 2_000.0
    private static let startupResync = 0.050
    private static let highResync = 0.080
    private static let lowResync = 0.020

    /// `maximumChunk`: the largest chunk `play` will be given (samples).
    public init(
        device: any LiveAudioDevice, processor: VoiceProcessor?, leadSamples: Int = 1_440, maximumChunk: Int = 960
    ) throws(ResamplerError) {
        self.device = device
        self.processor = processor
        self.leadSamples = leadSamples
        rate = Double(device.sampleRate)
        resampler = try DriftResampler(rate: device.sampleRate)
        estimator = ClockRateEstimator(nominalRate: Double(device.sampleRate))
        scratch = [Float](repeating: 0, count: max(maximumChunk, leadSamples) * 2 + 64)
        render = [Float](repeating: 0, count: processor?.frameSamples ?? 1)
    }

    /// Queues one chunk of the node's playout for the speaker. Until the device has taken its first 100 ms,
    /// chunks are discarded (`samplesDiscardedBeforeStart`): a fresh PulseAudio null sink was measured to
    /// take 1-2 s to start draining, and queueing meanwhile left a lasting 190 ms of extra delay.
    public func play(_ chunk: UnsafeBufferPointer<Float>) {
        guard primed || (device.playbackClock?.frames ?? 0) >= device.sampleRate / 10 else {
            statistics.samplesDiscardedBeforeStart += chunk.count
            return
        }
        if !primed {
            primed = true
            smoothedFill = Double(leadSamples)
            writeSilence(leadSamples)
        }
        if let point = device.playbackClock { estimator.add(point) }
        let fill = Double(device.playbackRing.availableToRead)
        smoothedFill += (fill - smoothedFill) * Self.smoothing
        chunks += 1
        let error = (smoothedFill - Double(leadSamples)) / rate
        // Resync only once the smoothing has seen a second of the device (its first callbacks may lag).
        let limit = chunks <= 1_000 ? Self.startupResync : Self.highResync
        let cooldown = chunks <= 1_000 ? 100 : 1_000
        if chunks > 100 && chunks - lastResync >= cooldown && skipping == 0 && error > limit {
            statistics.resyncs += 1
            lastResync = chunks
            skipping = Int(smoothedFill) - leadSamples
            smoothedFill = Double(leadSamples)
        }
        var chunk = chunk
        if skipping > 0 {
            let skipped = min(skipping, chunk.count)
            skipping -= skipped
            statistics.samplesDropped += skipped
            guard skipped < chunk.count else { return }
            chunk = UnsafeBufferPointer(rebasing: chunk[skipped...])
        }
        if chunks > 100 && error < -Self.lowResync && fill == 0 {
            statistics.resyncs += 1
            let missing = leadSamples - Int(fill)
            statistics.silenceInserted += missing
            writeSilence(missing)
            smoothedFill = Double(device.playbackRing.availableToRead)
        }
        let measured = estimator.ppm
        let servo = min(Self.servoLimitPPM, max(-Self.servoLimitPPM, -error / Self.servoSeconds * 1e6))
        resampler.setPPM((measured ?? 0) + servo)
        statistics.measuredPPM = measured
        statistics.appliedPPM = resampler.ppm
        statistics.delaySeconds = smoothedFill / rate + device.outputLatency
        let produced = scratch.withUnsafeMutableBufferPointer { resampler.process(chunk, into: $0) }
        scratch.withUnsafeBufferPointer { write(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
    }

    private func writeSilence(_ count: Int) {
        guard count > 0 else { return }
        var left = count
        while left > 0 {
            let piece = min(left, scratch.count)
            scratch.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: piece) }
            scratch.withUnsafeBufferPointer { write(UnsafeBufferPointer(rebasing: $0[0..<piece])) }
            left -= piece
        }
    }

    /// Hands `samples` to the ring and, in whole 10 ms frames, to the echo canceller's render side.
    private func write(_ samples: UnsafeBufferPointer<Float>) {
        let written = device.playbackRing.write(samples)
        statistics.samplesWritten += written
        // A device that records what it really played feeds the echo canceller from there (CapturePipeline).
        guard let processor, device.playedRing == nil else { return }
        let frame = processor.frameSamples
        render.withUnsafeMutableBufferPointer { render in
            var offset = 0
            while offset < written {
                let take = min(frame - renderCount, written - offset)
                (render.baseAddress! + renderCount).update(from: samples.baseAddress! + offset, count: take)
                renderCount += take
                offset += take
                if renderCount == frame {
                    processor.analyzeRender(UnsafeBufferPointer(render))
                    renderCount = 0
                }
            }
        }
    }
}

@available(*, unavailable, message: "PlaybackPipeline belongs to the node's loop thread")
extension PlaybackPipeline: Sendable {}

/// What a `PlaybackPipeline` has done and measured.
public struct PlaybackStatistics: Sendable, Equatable {
    /// The speaker's rate against the node's clock, ppm (nil until 2 s of callbacks).
    public var measuredPPM: Double?
    /// The stretch applied to the last chunk, ppm: the measurement plus the fill servo.
    public var appliedPPM = 0.0
    /// The speaker's share of the playout delay: the ring's smoothed fill plus PortAudio's output latency, s.
    public var delaySeconds = 0.0
    /// Drops and insertions that put the ring back at its target at once.
    public var resyncs = 0
    public var samplesDropped = 0
    public var silenceInserted = 0
    /// Samples of playout discarded while the device had not started draining.
    public var samplesDiscardedBeforeStart = 0
    /// Samples handed to the ring (including the initial lead and inserted silence).
    public var samplesWritten = 0
}
