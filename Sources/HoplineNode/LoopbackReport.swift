/// The outcome of one loopback run, as printed for people or as JSON for machines (field names are the
/// JSON keys; README.md explains each one).
public struct LoopbackReport: Codable, Sendable, Equatable {
    public var inputFile: String?
    public var outputFile: String?
    public var audioSeconds: Double
    public var pacing: String
    public var codec: Codec
    public var network: Network
    public var frames: Frames
    public var quality: Quality
    public var jitterBufferDelayMs: Summary
    public var endToEndLatencyMs: Summary
    public var rtcp: RTCP
    public var bitrate: Bitrate
    public var red: RED
    public var cpu: CPU

    /// The settings the run used.
    public struct Codec: Codable, Sendable, Equatable {
        public var bitrate: Int
        public var frameMs: Int
        public var complexity: Int
        public var fec: Bool
        public var dtx: Bool
        /// "adaptive" or "fixed".
        public var jitterBuffer: String
        public var jitterTargetMs: Double
    }

    /// The simulated network between the nodes.
    public struct Network: Codable, Sendable, Equatable {
        /// The impairment spec in canonical form, or "none".
        public var impairment: String
        /// Media packets the impairment dropped / delivered twice.
        public var dropped: Int
        public var duplicated: Int
    }

    /// Playout quality figures derived from the counters.
    public struct Quality: Codable, Sendable, Equatable {
        /// Packets that arrived after their playout time, % of packets sent.
        public var lateLossPercent: Double
        /// Frames rebuilt from the next packet's FEC, % of frames encoded.
        public var fecRecoveredPercent: Double
        /// Frames concealed by PLC, % of frames encoded.
        public var concealedPercent: Double
        /// Audio added plus removed by time-stretching, ms.
        public var stretchMs: Double
        /// E-model (ITU-T G.107, simplified) MOS from the mean end-to-end delay and the concealed share.
        public var meanOpinionScore: Double
    }

    /// RTCP between the nodes and what the sender made of it.
    public struct RTCP: Codable, Sendable, Equatable {
        /// Receiver reports the sender took into account.
        public var receiverReports: Int
        /// Times the sender changed its encoder settings because of them.
        public var adaptations: Int
        /// Round-trip time from the last report echoing a sender report, ms (nil: none yet).
        public var roundTripMs: Double?
        /// The encoder's expected-loss setting and bitrate at the end.
        public var finalExpectedLossPercent: Int
        public var finalBitrate: Int
    }

    /// Frame and packet counts, sender side then receiver side.
    public struct Frames: Codable, Sendable, Equatable {
        /// Frames the encoder produced (the input's length in frames).
        public var encoded: Int
        /// RTP packets sent (encoded minus DTX-suppressed).
        public var sent: Int
        /// Frames DTX left unsent because they were silence.
        public var dtxSuppressed: Int
        /// Distinct packets the receiver accepted into the jitter buffer.
        public var received: Int
        /// Packets that arrived after their playout time (dropped).
        public var late: Int
        /// Packets never received (RFC 3550 cumulative loss).
        public var lost: Int
        public var duplicates: Int
        /// Datagrams dropped as malformed RTP, wrong payload type or undecodable Opus.
        public var malformed: Int
        /// Frames synthesised by packet-loss concealment.
        public var concealed: Int
        /// Frames of comfort noise played during DTX pauses.
        public var comfortNoise: Int
        /// Frames decoded from a received packet.
        public var decoded: Int
        /// Missing frames rebuilt from the next packet's in-band FEC.
        public var fecRecovered: Int
        /// Packets decoded right after concealment.
        public var merged: Int
        /// Packets shortened / lengthened by time-stretching to move the delay toward its target.
        public var accelerated: Int
        public var preemptiveExpanded: Int
    }

    /// Mean, 95th percentile and maximum of a series.
    public struct Summary: Codable, Sendable, Equatable {
        public var mean: Double
        public var p95: Double
        public var max: Double
    }

    /// Average bitrates over the audio's duration.
    public struct Bitrate: Codable, Sendable, Equatable {
        /// Opus payload only, kbit/s.
        public var payloadKbps: Double
        /// The SRTP datagrams as sent (RTP header 12 bytes, payload, SRTP tag 16 bytes) with UDP and IPv4
        /// headers (8 + 20 bytes), kbit/s.
        public var onWireKbps: Double
    }

    /// RFC 2198 redundancy: what it cost and what it rebuilt.
    public struct RED: Codable, Sendable, Equatable {
        /// Whether both ends had RED negotiated (the sender still sends plain packets while the path is clean).
        public var negotiated: Bool
        /// Packets sent as RED.
        public var packetsSent: Int
        /// Bytes the redundancy added (block headers and older copies), and that as kbit/s over the audio and
        /// as % of all payload bytes sent.
        public var overheadBytes: Int
        public var overheadKbps: Double
        public var overheadPercent: Double
        /// Frames whose primary was missing and a redundant copy filled the slot; of those, copies carried two
        /// packets later (bursts of two that one frame of FEC cannot rebuild).
        public var framesRecovered: Int
        public var burstFramesRecovered: Int
        /// Copies of a missing frame that came after its slot was concealed.
        public var copiesLate: Int
        /// RED packets dropped as malformed.
        public var malformed: Int
        /// The sender's redundancy at the end: previous frames carried per packet (0: off).
        public var finalDistance: Int
    }

    /// Processing cost of the whole run (both nodes, sockets included).
    public struct CPU: Codable, Sendable, Equatable {
        /// User plus system CPU time of the process, seconds.
        public var cpuSeconds: Double
        /// Wall-clock time of the run, seconds.
        public var wallSeconds: Double
        /// Audio seconds processed per wall-clock second (1.0 in real-time pacing).
        public var realTimeFactor: Double
        /// CPU seconds per audio second, as a fraction of one core.
        public var coreFraction: Double
    }
}
