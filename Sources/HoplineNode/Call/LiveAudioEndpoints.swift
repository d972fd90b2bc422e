import HoplineAudio

/// A call's live devices: one `LiveAudioStream` and the pipelines between it and the call's media, sharing
/// one `VoiceProcessor` when the microphone is processed (echo cancellation needs the speaker's signal, so it
/// runs only when both the microphone and the speaker are live).
///
/// Owned by the node's loop thread, which is the only thread that touches the pipelines; the stream's
/// callbacks only see its rings.
final class LiveAudioSession {
    let stream: LiveAudioStream
    let capture: CapturePipeline?
    let playback: PlaybackPipeline?
    let processor: VoiceProcessor?

    /// `microphone` / `speaker`: whether the call uses that side (a microphone-only call may still have
    /// opened the speaker beside it, see `CallEngine.startLiveStream`).
    init(
        stream: LiveAudioStream, microphone: Bool, speaker: Bool, options: VoiceProcessingOptions,
        playoutPeriodMilliseconds: Int
    ) throws {
        self.stream = stream
        var effective = options
        if !(microphone && speaker) { effective.echoCancellation = false }
        processor = microphone && effective.isActive ? try VoiceProcessor(options: effective, sampleRate: stream.sampleRate) : nil
        capture = microphone ? try CapturePipeline(device: stream, processor: processor) : nil
        playback = speaker
            ? try PlaybackPipeline(
                device: stream, processor: effective.echoCancellation ? processor : nil,
                maximumChunk: playoutPeriodMilliseconds * stream.sampleRate / 1_000)
            : nil
    }

    /// Which processing runs, for the call's event line.
    var processingDescription: String {
        guard let options = processor?.options else { return "no voice processing" }
        return [
            options.echoCancellation ? "echo cancellation" : nil, options.noiseSuppression ? "noise suppression" : nil,
            options.autoGain ? "automatic gain control" : nil,
        ].compactMap { $0 }.joined(separator: ", ")
    }
}

/// The microphone side of a live call as its audio source: whole frames at the node's rate from the capture
/// pipeline (echo cancelled, drift corrected), as the device delivers them (the device paces sending).
///
/// Runs on the node's loop thread, never in the real-time callback.
final class LiveMicrophoneSource: CallAudioSource {
    private let pipeline: CapturePipeline

    init(pipeline: CapturePipeline) { self.pipeline = pipeline }

    var isClockPaced: Bool { false }

    func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool { pipeline.nextFrame(into: frame) }
}

/// The speaker side of a live call as its audio sink: each rendered playout chunk goes through the playback
/// pipeline (drift corrected, shown to the echo canceller) into the playback ring, which PortAudio's
/// callback drains. The pipeline primes the ring with 30 ms of silence, so a late wake-up of the loop thread
/// does not starve the device.
final class LiveSpeakerSink: CallAudioSink {
    private let pipeline: PlaybackPipeline

    init(pipeline: PlaybackPipeline) { self.pipeline = pipeline }

    func play(_ chunk: UnsafeBufferPointer<Float>) { pipeline.play(chunk) }
}
