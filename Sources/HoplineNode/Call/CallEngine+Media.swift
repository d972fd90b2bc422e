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
        case .microphone: source = try openLiveAudio(plan).source
        }
        var sinks: [any CallAudioSink] = []
        switch plan.sink {
        case .recording(let path): sinks.append(RecordingSink(path: path))
        case .speaker: sinks.append(try openLiveAudio(plan).sink)
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

    /// The call's live stream, opened with the directions `plan` needs on first use.
    func openLiveAudio(_ plan: CallAudioPlan) throws -> (source: any CallAudioSource, sink: any CallAudioSink) {
        let stream: LiveAudioStream
        if let open = liveStream {
            stream = open
        } else {
            guard let configuration = plan.liveConfiguration else { throw CallError.setupFailed("no live audio device is needed") }
            do {
                stream = try Self.startLiveStream(configuration)
            } catch {
                throw CallError.setupFailed("audio device: \(error) (or use --play FILE.wav and --record FILE.wav)")
            }
            let devices = [stream.inputDevice.map { "microphone \($0.name)" }, stream.outputDevice.map { "speaker \($0.name)" }]
            environment.event("audio: " + devices.compactMap { $0 }.joined(separator: ", "))
            liveStream = stream
        }
        return (LiveMicrophoneSource(stream: stream), LiveSpeakerSink(stream: stream))
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
        liveStream?.close()
        liveStream = nil
    }
}
