import HoplineCodec

/// Everything one loopback run needs besides the audio: codec settings, jitter buffer, and pacing.
public struct LoopbackOptions: Sendable, Equatable {
    /// How the lab's clock runs.
    public enum Pacing: String, Sendable, Equatable, Codable {
        /// Frames are sent as the wall clock reaches them, like a live call.
        case realTime = "real-time"
        /// A virtual clock jumps from event to event: as fast as the CPU allows, identical results every run.
        case fast
    }

    public var codec: OpusSettings
    /// The jitter buffer's target delay before playout starts, in milliseconds.
    public var jitterTargetMilliseconds: Double
    public var pacing: Pacing
    /// The playout device period the receiver renders in, in milliseconds.
    public var playoutChunkMilliseconds: Int

    public init(
        codec: OpusSettings = OpusSettings(),
        jitterTargetMilliseconds: Double = 20,
        pacing: Pacing = .realTime,
        playoutChunkMilliseconds: Int = 10
    ) {
        self.codec = codec
        self.jitterTargetMilliseconds = jitterTargetMilliseconds
        self.pacing = pacing
        self.playoutChunkMilliseconds = playoutChunkMilliseconds
    }
}
