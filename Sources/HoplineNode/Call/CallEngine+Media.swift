import HoplineAudio
import HoplineCore
import HoplineNet

/// Setting up and tearing down a call's media: keys, audio source (file or microphone) and sinks (recording
/// and/or speaker). Live devices are one `LiveAudioStream` per call, opened when the media starts.
extension CallEngine {
    func makeMediaSession(for call: CallContext, now: ClockInstant) throws -> MediaSession {
        guard let handshake = call.handshake else { throw CallError.setupFailed("media without a completed handshake") }
        let cipher = try SRTPMediaCipher(handshake: handshake)
        let source: any CallAudioSource
        var sinks: [any CallAudioSink] = []
        if let playSamples {
            source = FileAudioSource(samples: playSamples)
        } else {
            source = try openLiveAudio().source
        }
        if let recordPath = settings.recordPath {
            sinks.append(RecordingSink(path: recordPath))
        } else {
            sinks.append(try openLiveAudio().sink)
        }
        // The responder sends only once the initiator has proved it is live (message 1 may be a replay).
        return try MediaSession(
            settings: settings.codec,
            jitterBuffer: JitterBufferChoice.make(
                mode: settings.jitterBufferMode, targetMilliseconds: settings.jitterTargetMilliseconds,
                playoutPeriodMilliseconds: settings.playoutPeriodMilliseconds),
            playoutPeriodMilliseconds: settings.playoutPeriodMilliseconds, cipher: cipher, source: source, sinks: sinks,
            start: now, sending: call.role == .initiator || call.peerConfirmed)
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

    func openLiveAudio() throws -> (source: any CallAudioSource, sink: any CallAudioSink) {
        let stream: LiveAudioStream
        if let open = liveStream {
            stream = open
        } else {
            let configuration = LiveAudioConfiguration(
                input: settings.inputDevice.map { AudioDeviceSelector(argument: $0) } ?? .systemDefault,
                output: settings.outputDevice.map { AudioDeviceSelector(argument: $0) } ?? .systemDefault)
            do {
                stream = try LiveAudioStream(configuration: configuration)
                try stream.start()
            } catch {
                throw CallError.setupFailed("audio device: \(error) (or use --play FILE.wav and --record FILE.wav)")
            }
            environment.event("audio: microphone \(stream.inputDevice.name), speaker \(stream.outputDevice.name)")
            liveStream = stream
        }
        return (LiveMicrophoneSource(stream: stream), LiveSpeakerSink(stream: stream))
    }

    func closeLiveAudio() {
        liveStream?.close()
        liveStream = nil
    }
}
