import HoplineCore
import HoplineNet

/// Setting up and tearing down a call's media: keys, audio source (file or microphone) and sinks
/// (recording and/or speaker).
extension NodeRuntime {
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
                event(String(format: "recorded %.2f s to %@", Double(recording.sampleCount) / 48_000, recording.path))
            } catch {
                event("cannot write the recording: \(error)")
            }
        }
        closeLiveAudio()
    }
}
