import HoplineCodec
import HoplineCore

/// Everything one loopback run needs besides the audio: codec settings, jitter buffer, network and pacing.
public struct LoopbackOptions: Sendable, Equatable {
    /// How the lab's clock runs.
    public enum Pacing: String, Sendable, Equatable, Codable {
        /// Frames are sent as the wall clock reaches them, like a live call.
        case realTime = "real-time"
        /// A virtual clock jumps from event to event: as fast as the CPU allows, identical results every run.
        case fast
    }

    /// Which jitter buffer the receiver uses.
    public enum JitterBufferMode: String, Sendable, Equatable, Codable, CaseIterable {
        /// `AdaptiveJitterBuffer`: delay follows the network; time-stretching, FEC recovery.
        case adaptive
        /// `FixedDelayJitterBuffer`: playout starts `jitterTargetMilliseconds` after the first packet, no adaptation.
        case fixed
    }

    public var codec: OpusSettings
    public var jitterBuffer: JitterBufferMode
    /// Fixed mode: the delay before playout starts. Adaptive mode: the target used until it has measurements.
    public var jitterTargetMilliseconds: Double
    /// What the simulated network does to the media packets (nil: nothing).
    public var impairment: ImpairmentSpec?
    /// Receiver reports (RTCP RR) every this many milliseconds, and the sender adapting to them; 0 turns off.
    public var receiverReportIntervalMilliseconds: Int
    public var pacing: Pacing
    /// The playout device period the receiver renders in, in milliseconds.
    public var playoutChunkMilliseconds: Int
    /// Keep the jitter buffer's arrivals and decisions for a timeline plot.
    public var recordsTimeline: Bool
    /// Both ends negotiated RFC 2198 RED, as two Hopline nodes do (`--no-red`: plain RTP/Opus only). The
    /// sender adds redundancy only while receiver reports show loss.
    public var redundantAudio: Bool

    public init(
        codec: OpusSettings = OpusSettings(),
        jitterBuffer: JitterBufferMode = .adaptive,
        jitterTargetMilliseconds: Double = 20,
        impairment: ImpairmentSpec? = nil,
        receiverReportIntervalMilliseconds: Int = 1_000,
        pacing: Pacing = .realTime,
        playoutChunkMilliseconds: Int = 10,
        recordsTimeline: Bool = false,
        redundantAudio: Bool = true
    ) {
        self.redundantAudio = redundantAudio
        self.codec = codec
        self.jitterBuffer = jitterBuffer
        self.jitterTargetMilliseconds = jitterTargetMilliseconds
        self.impairment = impairment
        self.receiverReportIntervalMilliseconds = receiverReportIntervalMilliseconds
        self.pacing = pacing
        self.playoutChunkMilliseconds = playoutChunkMilliseconds
        self.recordsTimeline = recordsTimeline
    }
}
