import Foundation

/// One sample of a node's state for the in-call status line and the `--stats` JSON lines, taken once a
/// second by the node's loop thread. Field names are the JSON keys.
public struct CallStatus: Equatable, Sendable, Codable {
    /// Seconds since the node started.
    public var time: Double
    /// listening, calling, ringing, active, ended.
    public var state: String
    /// The peer's node ID, when in a call.
    public var peer: String?
    /// The active path: "direct" or "relay", when in a call.
    public var path: String?
    /// Where the active path sends: the peer's address (direct) or the relay's.
    public var remote: String?
    /// Every path the call holds, with its liveness and RTT.
    public var paths: [PathStatus]?
    /// How many times the active path changed during the call.
    public var pathSwitches: Int?
    /// Round-trip time from the latest keepalive echo, ms.
    public var rttMs: Double?
    /// Media packets lost in the last second, percent of those expected.
    public var lossPercent: Double?
    /// RFC 3550 interarrival jitter, ms.
    public var jitterMs: Double?
    /// Jitter-buffer delay of the packets played in the last second (mean), ms.
    public var bufferDelayMs: Double?
    /// Bits sent on the socket in the last second (all traffic, IP/UDP headers excluded), kbit/s.
    public var sendKbps: Double?
    public var receiveKbps: Double?
    /// E-model (ITU-T G.107, simplified) MOS estimate from one-way delay and loss.
    public var mos: Double?
    /// Round-trip time from RTCP (the peer's receiver report echoing our sender report: LSR/DLSR), ms.
    public var rtcpRttMs: Double?
    /// Loss and jitter the peer reports about the media we send (its latest RTCP receiver report).
    public var peerLossPercent: Double?
    public var peerJitterMs: Double?
    /// One-way mouth-to-ear estimate for the audio we hear: frame + encoder look-ahead + network (RTT/2) +
    /// jitter-buffer delay, ms.
    public var mouthToEarMs: Double?
    /// What our encoder plans for now, adapted from the peer's reports: expected loss (FEC), bitrate.
    public var plannedLossPercent: Int?
    public var encoderKbps: Double?
    /// RTCP reports of the call.
    public var rtcp: RTCPCounters?
    /// RMS level of the audio sent / played in the last second, dBFS (-100 for silence).
    public var inputDb: Double?
    public var outputDb: Double?
    /// Call media counters since the call started.
    public var packetsSent: Int?
    public var packetsReceived: Int?
    public var framesConcealed: Int?
    /// RED (RFC 2198): whether the peer takes it, previous frames our packets carry now (0: off), bytes of
    /// redundancy sent since the call started, and frames the peer's RED copies filled for us.
    public var redNegotiated: Bool?
    public var redDistance: Int?
    public var redundancyBytesSent: Int?
    public var redFramesRecovered: Int?
    /// When the first decoded audio of this call was played, ms after the call started (caller: message 1
    /// sent; callee: message 1 received).
    public var firstAudioMs: Double?
    /// The media timelines on the host's CLOCK_MONOTONIC, seconds, for measuring mouth-to-ear from outside on
    /// the same host (`make bench-quality`): when this side's first frame was sent (a `--play` file's sample i
    /// is captured at this - one frame + i / 48 kHz) and when the first played sample left (a `--record` file's
    /// sample s at this + s / 48 kHz).
    public var sendStartMonotonicS: Double?
    public var playoutStartMonotonicS: Double?
    /// The key epoch of what this side sends (sealed signaling; SRTP follows at its next packet) and of what
    /// the peer's signaling opens in: 0 is the handshake's keys, each rekey adds one.
    public var sendKeyEpoch: Int?
    public var receiveKeyEpoch: Int?
    /// Rekeys completed in the call, both directions.
    public var rekeys: Int?
    /// Live devices: the microphone's and the speaker's clock against the node's monotonic clock, ppm
    /// (positive: the sound card runs fast), as measured from their callbacks; the drift correction follows them.
    public var captureDriftPpm: Double?
    public var playbackDriftPpm: Double?
    /// Live speaker: the playback ring's smoothed fill plus PortAudio's output latency, ms (held at its target).
    public var speakerDelayMs: Double?
    /// Live speaker: times the ring was put back at its target at once (a chunk dropped or silence inserted).
    public var speakerResyncs: Int?
    /// Echo cancellation: the canceller's measured echo return loss enhancement and echo path delay.
    public var echoErleDb: Double?
    public var echoDelayMs: Double?
    public var counters: NodeCounters
    public var rendezvous: RendezvousCounters
    public var datagramsReceived: Int
    public var datagramsSent: Int

    /// The one-line human form, without the leading carriage return.
    public var line: String {
        guard state == "active" else {
            return "\(state)" + (peer.map { " \(String($0.prefix(16)))" } ?? "") + (remote.map { " at \($0)" } ?? "")
        }
        func f(_ value: Double?, _ digits: Int = 1) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        let standby = (paths ?? []).filter { !$0.active && $0.alive }.count
        return "active \(path ?? "?") \(remote ?? "")" + (standby > 0 ? " (+\(standby) standby)" : "") + " | rtt \(f(rttMs ?? rtcpRttMs)) ms"
            + " | loss \(f(lossPercent))% (peer \(f(peerLossPercent))%) | jitter \(f(jitterMs)) ms"
            + " | buffer \(f(bufferDelayMs, 0)) ms | mouth-to-ear \(f(mouthToEarMs, 0)) ms | \(f(sendKbps, 0)) kbit/s | MOS \(f(mos, 2))"
            + " | in \(f(inputDb, 0)) dB out \(f(outputDb, 0)) dB"
            + (sendKeyEpoch.map { " | keys \($0)/\(receiveKeyEpoch ?? 0)" } ?? "")
            + (captureDriftPpm != nil || playbackDriftPpm != nil
                ? " | clock mic \(f(captureDriftPpm, 0)) spk \(f(playbackDriftPpm, 0)) ppm" : "")
    }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// One of a call's paths as the status shows it.
public struct PathStatus: Equatable, Sendable, Codable {
    /// "direct" or "relay".
    public var name: String
    /// The peer's (direct) or the relay's address.
    public var address: String
    public var active: Bool
    /// Heard recently enough to carry the call.
    public var alive: Bool
    /// Round-trip time through this path from keepalive echoes, ms.
    public var rttMs: Double?

    public init(name: String, address: String, active: Bool, alive: Bool, rttMs: Double?) {
        self.name = name
        self.address = address
        self.active = active
        self.alive = alive
        self.rttMs = rttMs
    }
}

/// RMS level in dBFS of a running window of samples. Not thread-safe.
public struct LevelMeter: Sendable {
    private var sumOfSquares = 0.0
    private var count = 0

    public init() {}

    public mutating func add(_ samples: UnsafeBufferPointer<Float>) {
        for sample in samples { sumOfSquares += Double(sample) * Double(sample) }
        count += samples.count
    }

    /// The level since the last `take`, then starts over; -100 dB for silence or no samples.
    public mutating func take() -> Double? {
        defer { sumOfSquares = 0; count = 0 }
        guard count > 0 else { return nil }
        let rms = (sumOfSquares / Double(count)).squareRoot()
        return rms > 1e-5 ? max(-100, 20 * log10(rms)) : -100
    }
}
