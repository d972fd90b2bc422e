import HoplineAudio

/// The microphone side of a `LiveAudioStream` as a call's audio source: whole frames are taken from the
/// capture ring as PortAudio's callback delivers them (so the device clock paces sending).
///
/// Runs on the node's loop thread, the capture ring's one consumer; never in the real-time callback.
final class LiveMicrophoneSource: CallAudioSource {
    private let stream: LiveAudioStream

    init(stream: LiveAudioStream) { self.stream = stream }

    var isClockPaced: Bool { false }

    func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard stream.captureRing.availableToRead >= frame.count else { return false }
        return stream.readCaptured(into: frame) == frame.count
    }
}

/// The speaker side of a `LiveAudioStream` as a call's audio sink: each rendered playout chunk is queued
/// in the playback ring, which PortAudio's callback drains. The loop thread is the ring's one producer.
///
/// The ring is primed with `leadSamples` of silence first, so the device always has that much queued and a
/// late wake-up of the loop thread does not starve it (the cost is that much extra delay: 30 ms by default).
final class LiveSpeakerSink: CallAudioSink {
    private let stream: LiveAudioStream
    private var primed = false
    private let leadSamples: Int

    init(stream: LiveAudioStream, leadSamples: Int = 1_440) {
        self.stream = stream
        self.leadSamples = leadSamples
    }

    func play(_ chunk: UnsafeBufferPointer<Float>) {
        if !primed {
            primed = true
            let silence = [Float](repeating: 0, count: leadSamples)
            silence.withUnsafeBufferPointer { _ = stream.writePlayback($0) }
        }
        stream.writePlayback(chunk)
    }
}
