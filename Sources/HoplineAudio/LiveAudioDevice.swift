/// What a call's audio pipelines (`CapturePipeline`, `PlaybackPipeline`) need from a sound device: its two
/// rings, its latencies, and when its callbacks ran. `LiveAudioStream` is the real one; a test can drive the
/// pipelines with a device model on a virtual clock.
///
/// The pipelines are the capture ring's one consumer and the playback ring's one producer.
public protocol LiveAudioDevice: AnyObject {
    /// The device's nominal rate, Hz (both directions).
    var sampleRate: Int { get }
    /// What the microphone captured, oldest first.
    var captureRing: SampleRingBuffer { get }
    /// What the speaker is to play.
    var playbackRing: SampleRingBuffer { get }
    /// What the speaker really played, underrun silence included, if the device records it (nil: the pipelines
    /// take what they write to `playbackRing` as the echo reference). One consumer: the `CapturePipeline`.
    var playedRing: SampleRingBuffer? { get }
    /// Seconds from the microphone to the capture callback.
    var inputLatency: Double { get }
    /// Seconds from the playback callback to the speaker.
    var outputLatency: Double { get }
    /// The latest input callback on the node's monotonic clock and the frames delivered by then (nil: none yet).
    var captureClock: DeviceClockPoint? { get }
    /// The latest output callback and the frames the device had taken by then (nil: none yet).
    var playbackClock: DeviceClockPoint? { get }
}

extension LiveAudioDevice {
    /// By default a device does not record what it played.
    public var playedRing: SampleRingBuffer? { nil }
}
