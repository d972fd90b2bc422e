import HoplineAudio
import HoplineCore
import HoplineNet

/// Setting up and tearing down a call's media: keys, audio source (file or microphone) and sinks (recording
/// and/or speaker). Live devices are one `LiveAudioStream` per call, opened when the media starts.
extension CallEngine {
    func makeMediaSession(for call: CallContext, now: ClockInstant) throws -> MediaSession {
        guard let cipher = call.keys?.media else { throw CallError.setupFailed("media without a completed handshake") }
        let plan = CallAudioPlan(settings: settings)
        let source: any CallAudioSource
        switch plan.source {
        case .file: source = FileAudioSource(samples: playSamples ?? [])
        case .silence: source = FileAudioSource(samples: [])
        case .microphone:
            guard let capture = try openLiveAudio(plan).capture else { throw CallError.setupFailed("the microphone is not open") }
            source = LiveMicrophoneSource(pipeline: capture)
        }
        var sinks: [any CallAudioSink] = []
        switch plan.sink {
        case .recording(let path): sinks.append(RecordingSink(path: path))
        case .speaker:
            guard let playback = try openLiveAudio(plan).playback else { throw CallError.setupFailed("the speaker is not open") }
            sinks.append(LiveSpeakerSink(pipeline: playback))
        case .discard: break
        }
        // The responder sends only once the initiator has proved it is live (message 1 may be a replay).
        return try MediaSession(
            settings: settings.codec,
            jitterBuffer: JitterBufferChoice.make(
                mode: settings.jitterBufferMode, targetMilliseconds: settings.jitterTargetMilliseconds,
                playoutPeriodMilliseconds: settings.playoutPeriodMilliseconds),
            playoutPeriodMilliseconds: settings.playoutPeriodMilliseconds, cipher: cipher, source: source, sinks: sinks,
            start: now, sending: call.role == .initiator || call.peerConfirmed,
            // RED out only to a peer that offered to take it; RED in only if this side offered it.
            sendsRED: settings.redundantAudio && call.peerOffer?.redundantAudio == true, acceptsRED: settings.redundantAudio)
    }

    /// Whether the call's media flows both ways (active, sending, and the peer's packets arriving): then the
    /// loop wakes every playout period anyway, and the peer's media may wait for it (`QuietMediaSwitch`).
    var mediaFlowsBothWays: Bool {
        guard let call, call.phase == .active, let media = call.media else { return false }
        return media.sending && media.reception.packetsReceived > 0
    }

    func finishMedia(_ media: MediaSession, call: CallContext) {
        for sink in media.sinkList {
            guard let recording = sink as? RecordingSink else { continue }
            do {
                try recording.finish()
                environment.event(String(format: "recorded %.2f s to %@", Double(recording.sampleCount) / 48_000, recording.path))
            } catch {
                environment.event("cannot write the recording: \(error)")
            }
        }
        closeLiveAudio()
    }

    /// The call's live devices, opened with the directions `plan` needs on first use, with the voice
    /// processing the settings ask for (echo cancellation only when the microphone and speaker are both live).
    func openLiveAudio(_ plan: CallAudioPlan) throws -> LiveAudioSession {
        if let open = liveAudio { return open }
        guard let configuration = plan.liveConfiguration else { throw CallError.setupFailed("no live audio device is needed") }
        let stream: LiveAudioStream
        do {
            stream = try Self.startLiveStream(configuration)
        } catch {
            throw CallError.setupFailed("audio device: \(error) (or use --play FILE.wav and --record FILE.wav)")
        }
        let session: LiveAudioSession
        do {
            session = try LiveAudioSession(
                stream: stream, microphone: configuration.directions.contains(.input),
                speaker: configuration.directions.contains(.output), options: settings.voiceProcessing,
                playoutPeriodMilliseconds: settings.playoutPeriodMilliseconds)
        } catch {
            stream.close()
            throw CallError.setupFailed("audio processing: \(error)")
        }
        let devices = [
            configuration.directions.contains(.input) ? stream.inputDevice.map { "microphone \($0.name)" } : nil,
            configuration.directions.contains(.output) ? stream.outputDevice.map { "speaker \($0.name)" } : nil,
        ]
        environment.event("audio: " + devices.compactMap { $0 }.joined(separator: ", ") + " (\(session.processingDescription))")
        liveAudio = session
        return session
    }

    /// Opens and starts the streams. A microphone without a speaker is opened with the default speaker
    /// beside it when there is one (it plays silence): on PulseAudio's null sink, through the ALSA pulse
    /// plugin, a capture-only stream was measured to deliver none of the speech played into it (the call
    /// test's match fell from 0.8 to 0.04), while a capture stream next to a playback stream works.
    static func startLiveStream(_ configuration: LiveAudioConfiguration) throws -> LiveAudioStream {
        if configuration.directions == [.input] {
            var duplex = configuration
            duplex.directions = [.input, .output]
            if let stream = try? LiveAudioStream(configuration: duplex) {
                do {
                    try stream.start()
                    return stream
                } catch {
                    stream.close()
                }
            }
        }
        let stream = try LiveAudioStream(configuration: configuration)
        try stream.start()
        return stream
    }

    func closeLiveAudio() {
        liveAudio?.stream.close()
        liveAudio = nil
    }
}
