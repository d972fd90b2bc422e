internal import Atomics
internal import CPortAudio
import Synchronization

/// A live microphone and/or speaker through PortAudio: an input stream and an output stream (separate
/// streams, so the two may be different devices or even different host APIs; either may be left out with
/// `configuration.directions`), both mono 32-bit float.
///
/// Audio crosses between PortAudio's real-time threads and the caller through two `SampleRingBuffer`s:
/// the input callback appends what the microphone captured to `captureRing`, and the output callback plays
/// what the caller put in `playbackRing`, filling silence (and counting an underrun) when it runs dry. The
/// callbacks only copy; they never allocate, lock or log. Everything else is for the caller's threads:
///
/// - **Capture** (one consumer thread): `readCaptured(into:)` or `captureRing.read(into:)`, about every
///   10 ms, before the ring fills (it holds `configuration.ringCapacity` samples; later frames are dropped
///   and counted as capture overruns).
/// - **Playback** (one producer thread): `writePlayback(_:)` or `playbackRing.write(_:)`, keeping the ring a
///   few periods ahead of the device.
/// - **Control** (`start`, `stop`, `close`, `statistics`): any thread; calls are serialised.
///
/// Opening fails with one clear `AudioDeviceError`: no devices at all, no device matching a selector (with
/// the list of those there are), or a device that cannot run the format. `close()` (or deinit) closes both
/// streams and releases PortAudio.
public final class LiveAudioStream: LiveAudioDevice, @unchecked Sendable {
    /// The settings the streams were opened with.
    public let configuration: LiveAudioConfiguration
    /// The device the input stream records from (nil: no input stream).
    public let inputDevice: AudioDeviceInfo?
    /// The device the output stream plays to (nil: no output stream).
    public let outputDevice: AudioDeviceInfo?
    /// PortAudio's estimate of the input stream's latency in seconds (device to callback), once opened.
    public let inputLatency: Double
    /// PortAudio's estimate of the output stream's latency in seconds (callback to device), once opened.
    public let outputLatency: Double
    /// Captured samples, written by the input callback (the producer); the caller is the one consumer.
    public let captureRing: SampleRingBuffer
    /// Samples to play, read by the output callback (the consumer); the caller is the one producer.
    public let playbackRing: SampleRingBuffer
    /// Everything the output callback handed the device, underrun silence included (the echo reference);
    /// written by the output callback, read by the caller.
    public let playedRing: SampleRingBuffer?

    private let context: UnsafeMutablePointer<LiveAudioCallbackContext>
    /// The two `PaStream`s; only touched under `PortAudioSession`'s lock, and only while `state` is held.
    private let inputStream: UnsafeMutableRawPointer?
    private let outputStream: UnsafeMutableRawPointer?
    private let state = Mutex(State.stopped)

    private enum State {
        case stopped, running, closed
    }

    /// Opens (but does not start) the input and output streams `configuration` selects.
    public init(configuration: LiveAudioConfiguration = LiveAudioConfiguration()) throws(AudioDeviceError) {
        try Self.validate(configuration)
        let captureRing = try Self.makeRing(configuration)
        let playbackRing = try Self.makeRing(configuration)
        let playedRing = try Self.makeRing(configuration)
        let context = LiveAudioCallbackContext.allocate(
            capture: captureRing.core, playback: playbackRing.core, played: playedRing.core)
        let opened: OpenedStreams
        do throws(AudioDeviceError) {
            opened = try Self.open(configuration, context: context)
        } catch {
            LiveAudioCallbackContext.deallocate(context)
            throw error
        }
        self.configuration = configuration
        self.captureRing = captureRing
        self.playbackRing = playbackRing
        self.playedRing = playedRing
        self.context = context
        inputDevice = opened.inputDevice
        outputDevice = opened.outputDevice
        inputLatency = opened.inputLatency
        outputLatency = opened.outputLatency
        inputStream = opened.inputStream
        outputStream = opened.outputStream
    }

    deinit {
        close()
        LiveAudioCallbackContext.deallocate(context)
    }

    /// Starts both streams: from now on the callbacks run every `framesPerBuffer` frames. Does nothing if
    /// already running.
    public func start() throws(AudioDeviceError) {
        try state.withLock { (state: inout State) throws(AudioDeviceError) in
            switch state {
            case .running: return
            case .closed: throw .streamClosed(operation: "start")
            case .stopped: break
            }
            try PortAudioSession.serialized { () throws(AudioDeviceError) in
                if let outputStream { try Self.check("Pa_StartStream", Pa_StartStream(outputStream)) }
                do throws(AudioDeviceError) {
                    if let inputStream { try Self.check("Pa_StartStream", Pa_StartStream(inputStream)) }
                } catch {
                    if let outputStream { _ = Pa_AbortStream(outputStream) }
                    throw error
                }
            }
            state = .running
        }
    }

    /// Stops both streams after the output has played what PortAudio already holds; the rings keep their
    /// contents. Does nothing if not running.
    public func stop() throws(AudioDeviceError) {
        try state.withLock { (state: inout State) throws(AudioDeviceError) in
            guard state == .running else { return }
            state = .stopped
            try PortAudioSession.serialized { () throws(AudioDeviceError) in
                let inputStatus = inputStream.map { Pa_StopStream($0) } ?? paNoError.rawValue
                let outputStatus = outputStream.map { Pa_StopStream($0) } ?? paNoError.rawValue
                try Self.check("Pa_StopStream", inputStatus)
                try Self.check("Pa_StopStream", outputStatus)
            }
        }
    }

    /// Closes both streams (stopping them at once if running) and releases PortAudio. Idempotent; the
    /// rings and `statistics` stay readable afterwards.
    public func close() {
        state.withLock { state in
            guard state != .closed else { return }
            state = .closed
            _ = try? PortAudioSession.serialized { () throws(AudioDeviceError) in
                if let inputStream { _ = Pa_CloseStream(inputStream) }
                if let outputStream { _ = Pa_CloseStream(outputStream) }
            }
            PortAudioSession.release()
        }
    }

    /// Whether the streams are started.
    public var isRunning: Bool { state.withLock { $0 == .running } }

    /// Capture consumer only: moves up to `destination.count` captured samples into it; returns how many.
    public func readCaptured(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        captureRing.read(into: destination)
    }

    /// Playback producer only: queues `samples` for the speaker; returns how many fit (the rest are dropped
    /// and counted as a playback overrun).
    @discardableResult
    public func writePlayback(_ samples: UnsafeBufferPointer<Float>) -> Int {
        playbackRing.write(samples)
    }

    /// Samples per second, both directions.
    public var sampleRate: Int { configuration.sampleRate }

    /// When the input callback last ran (node's monotonic clock) and the frames captured by then.
    public var captureClock: DeviceClockPoint? { context.pointee.captureStamp.read() }

    /// When the output callback last ran and the frames it had handed the device by then (ring and silence).
    public var playbackClock: DeviceClockPoint? { context.pointee.playbackStamp.read() }

    /// The counters now (each read atomically; together a near-simultaneous snapshot).
    public var statistics: LiveAudioStatistics {
        let counters = context.pointee
        return LiveAudioStatistics(
            framesCaptured: counters.framesCaptured.load(ordering: .relaxed),
            captureOverruns: captureRing.overrunCount, captureFramesDropped: captureRing.droppedSampleCount,
            framesPlayed: counters.framesPlayed.load(ordering: .relaxed),
            playbackUnderruns: counters.playbackUnderruns.load(ordering: .relaxed),
            silenceFramesPlayed: counters.silenceFramesPlayed.load(ordering: .relaxed),
            playbackOverruns: playbackRing.overrunCount,
            inputOverflows: counters.inputOverflows.load(ordering: .relaxed),
            outputUnderflows: counters.outputUnderflows.load(ordering: .relaxed))
    }
}

extension LiveAudioStream {
    /// What `open` opened. The stream pointers are only used under `PortAudioSession`'s lock.
    private struct OpenedStreams: @unchecked Sendable {
        var inputDevice: AudioDeviceInfo?
        var outputDevice: AudioDeviceInfo?
        var inputStream: UnsafeMutableRawPointer?
        var outputStream: UnsafeMutableRawPointer?
        var inputLatency: Double
        var outputLatency: Double
    }

    /// Joins the PortAudio session, picks the devices and opens the streams asked for; on failure nothing is
    /// left open and the session is released.
    private static func open(
        _ configuration: LiveAudioConfiguration, context: UnsafeMutablePointer<LiveAudioCallbackContext>
    ) throws(AudioDeviceError) -> OpenedStreams {
        try PortAudioSession.acquire()
        do throws(AudioDeviceError) {
            return try PortAudioSession.serialized { () throws(AudioDeviceError) -> OpenedStreams in
                let devices = try AudioDeviceList.enumerate()
                let wantsInput = configuration.directions.contains(.input)
                let wantsOutput = configuration.directions.contains(.output)
                let input = wantsInput ? try configuration.input.resolve(.input, among: devices) : nil
                let output = wantsOutput ? try configuration.output.resolve(.output, among: devices) : nil
                let inputStream = try input.map { device throws(AudioDeviceError) in
                    try openStream(.input, on: device, configuration, context: context)
                }
                let outputStream: UnsafeMutableRawPointer?
                do throws(AudioDeviceError) {
                    outputStream = try output.map { device throws(AudioDeviceError) in
                        try openStream(.output, on: device, configuration, context: context)
                    }
                } catch {
                    if let inputStream { _ = Pa_CloseStream(inputStream) }
                    throw error
                }
                return OpenedStreams(
                    inputDevice: input, outputDevice: output, inputStream: inputStream, outputStream: outputStream,
                    inputLatency: inputStream.flatMap { Pa_GetStreamInfo($0)?.pointee.inputLatency } ?? 0,
                    outputLatency: outputStream.flatMap { Pa_GetStreamInfo($0)?.pointee.outputLatency } ?? 0)
            }
        } catch {
            PortAudioSession.release()
            throw error
        }
    }

    private static func makeRing(_ configuration: LiveAudioConfiguration) throws(AudioDeviceError) -> SampleRingBuffer {
        do {
            return try SampleRingBuffer(minimumCapacity: configuration.ringCapacity)
        } catch {
            throw .settingOutOfRange(
                name: "ring capacity", value: configuration.ringCapacity,
                expected: "1...\(SampleRingBuffer.maximumCapacity) samples")
        }
    }

    private static func validate(_ configuration: LiveAudioConfiguration) throws(AudioDeviceError) {
        let rates = 8_000...192_000
        guard rates.contains(configuration.sampleRate) else {
            throw .settingOutOfRange(name: "sample rate", value: configuration.sampleRate, expected: "8000...192000 Hz")
        }
        guard (1...configuration.sampleRate).contains(configuration.framesPerBuffer) else {
            throw .settingOutOfRange(
                name: "frames per buffer", value: configuration.framesPerBuffer,
                expected: "1...\(configuration.sampleRate) frames, at most one second")
        }
        if let latency = configuration.suggestedLatency, !(0...1).contains(latency) {
            throw .latencyOutOfRange(seconds: latency)
        }
        guard !configuration.directions.isEmpty else { throw .noDirections }
    }

    /// Opens a mono float32 stream on `device` in `direction` with the matching callback. Under the lock.
    private static func openStream(
        _ direction: AudioDirection, on device: AudioDeviceInfo, _ configuration: LiveAudioConfiguration,
        context: UnsafeMutablePointer<LiveAudioCallbackContext>
    ) throws(AudioDeviceError) -> UnsafeMutableRawPointer {
        let info = Pa_GetDeviceInfo(PaDeviceIndex(device.index))?.pointee
        let deviceLatency = direction == .input ? info?.defaultLowInputLatency : info?.defaultLowOutputLatency
        let latency = configuration.suggestedLatency ?? deviceLatency ?? 0.02
        var parameters = PaStreamParameters(
            device: PaDeviceIndex(device.index), channelCount: 1, sampleFormat: PaSampleFormat(0x1),  // paFloat32
            suggestedLatency: latency, hostApiSpecificStreamInfo: nil)
        let rate = Double(configuration.sampleRate)
        let supported = PortAudioSession.withStderrSilenced {
            direction == .input
                ? Pa_IsFormatSupported(&parameters, nil, rate) : Pa_IsFormatSupported(nil, &parameters, rate)
        }
        guard supported == paFormatIsSupported else {
            throw .formatNotSupported(
                direction: direction, device: device.label, channels: 1, sampleRate: configuration.sampleRate,
                code: supported)
        }
        var stream: UnsafeMutableRawPointer?
        let status = PortAudioSession.withStderrSilenced {
            direction == .input
                ? Pa_OpenStream(
                    &stream, &parameters, nil, rate, UInt(configuration.framesPerBuffer), PaStreamFlags(0),
                    liveAudioCaptureCallback, context)
                : Pa_OpenStream(
                    &stream, nil, &parameters, rate, UInt(configuration.framesPerBuffer), PaStreamFlags(0),
                    liveAudioPlaybackCallback, context)
        }
        try check("Pa_OpenStream", status)
        guard let stream else { throw .portAudio(function: "Pa_OpenStream", code: paInternalError.rawValue) }
        return stream
    }

    private static func check(_ function: String, _ status: PaError) throws(AudioDeviceError) {
        guard status == paNoError.rawValue else { throw .portAudio(function: function, code: status) }
    }
}
