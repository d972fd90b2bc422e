import HoplineAudio

/// Live devices for calls without `--play` (microphone) or `--record` (speaker): one `LiveAudioStream`
/// per call, opened when the call's media starts and closed when the call ends.
extension NodeRuntime {
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
            event("audio: microphone \(stream.inputDevice.name), speaker \(stream.outputDevice.name)")
            liveStream = stream
        }
        return (LiveMicrophoneSource(stream: stream), LiveSpeakerSink(stream: stream))
    }

    func closeLiveAudio() {
        liveStream?.close()
        liveStream = nil
    }
}
