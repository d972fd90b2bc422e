/// A snapshot of a `LiveAudioStream`'s counters, all since the stream was opened.
public struct LiveAudioStatistics: Sendable, Equatable {
    /// Frames the input callback received from the microphone.
    public var framesCaptured: Int
    /// Input callbacks whose frames did not all fit in the capture ring (the reader fell behind).
    public var captureOverruns: Int
    /// Captured frames dropped by those overruns.
    public var captureFramesDropped: Int
    /// Frames the output callback took from the playback ring and played.
    public var framesPlayed: Int
    /// Output callbacks that found fewer frames in the playback ring than the device asked for and filled
    /// the rest with silence. Before the first write and after the last, every callback counts.
    public var playbackUnderruns: Int
    /// Frames of silence those underruns played.
    public var silenceFramesPlayed: Int
    /// Playback writes that found the playback ring full and dropped frames (the writer ran ahead).
    public var playbackOverruns: Int
    /// Input callbacks PortAudio flagged `paInputOverflow`: the device lost input before the callback ran.
    public var inputOverflows: Int
    /// Output callbacks PortAudio flagged `paOutputUnderflow`: the device ran dry before the callback ran.
    public var outputUnderflows: Int

    /// Every frame the output callback handed the device: played from the ring plus silence.
    public var outputFrames: Int { framesPlayed + silenceFramesPlayed }

    public init(
        framesCaptured: Int = 0, captureOverruns: Int = 0, captureFramesDropped: Int = 0, framesPlayed: Int = 0,
        playbackUnderruns: Int = 0, silenceFramesPlayed: Int = 0, playbackOverruns: Int = 0, inputOverflows: Int = 0,
        outputUnderflows: Int = 0
    ) {
        self.framesCaptured = framesCaptured
        self.captureOverruns = captureOverruns
        self.captureFramesDropped = captureFramesDropped
        self.framesPlayed = framesPlayed
        self.playbackUnderruns = playbackUnderruns
        self.silenceFramesPlayed = silenceFramesPlayed
        self.playbackOverruns = playbackOverruns
        self.inputOverflows = inputOverflows
        self.outputUnderflows = outputUnderflows
    }
}
