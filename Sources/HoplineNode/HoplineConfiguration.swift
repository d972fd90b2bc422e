import Foundation
import HoplineAudio
import HoplineCodec
import HoplineDiscovery
import HoplineNet

/// Hopline's settings, read from a TOML file (`config/hopline.toml` documents every key); command-line
/// flags override them. Immutable once loaded; every field has a default.
public struct HoplineConfiguration: Sendable, Equatable {
    /// Opus encoder settings for outgoing media (`[codec]`).
    public var codec: OpusSettings
    /// Offer and use RFC 2198 RED while the peer reports loss (`[codec] red`).
    public var redundantAudio: Bool
    /// Which jitter buffer receivers use (`[jitter_buffer] mode`: "adaptive" or "fixed").
    public var jitterBufferMode: LoopbackOptions.JitterBufferMode
    /// Fixed mode: the playout delay; adaptive mode: the target before measurements (`[jitter_buffer] target_delay_ms`).
    public var jitterTargetMilliseconds: Double
    /// The playout device period the receiver renders in (`[audio] playout_period_ms`).
    public var playoutPeriodMilliseconds: Int
    /// Voice processing on a live microphone (`[audio] echo_cancellation`, `noise_suppression`, `auto_gain`).
    public var voiceProcessing: VoiceProcessingOptions = VoiceProcessingOptions()
    /// Where `hopline listen` binds its UDP socket without --bind (`[network] listen_bind`).
    public var listenBind: PeerAddress
    /// The rendezvous node used without --rendezvous (`[network] rendezvous`; nil: none).
    public var rendezvous: PeerAddress?
    /// Seconds of silence from the peer before a call is declared dead (`[call] peer_timeout_s`).
    public var peerTimeoutSeconds: Double
    /// Seconds to wait for the callee's first answer (`[call] answer_timeout_s`).
    public var answerTimeoutSeconds: Double
    /// When calls rotate their keys (`[call] rekey_after_s`, `[call] rekey_after_packets`).
    public var rekey: RekeyPolicy
    /// How this node runs a volunteer relay (`[relay]`, except `candidates`).
    public var relay: RelaySettings
    /// Relays a caller or callee may use when no direct path works (`[relay] candidates`, HOST:PORT each).
    public var relayCandidates: [PeerAddress]
    /// How this node joins the DHT (`[dht]`: network, port, bootstrap).
    public var dht: DHTSettings

    public init(
        codec: OpusSettings = OpusSettings(),
        jitterBufferMode: LoopbackOptions.JitterBufferMode = .adaptive,
        jitterTargetMilliseconds: Double = 20,
        playoutPeriodMilliseconds: Int = 10,
        listenBind: PeerAddress = HoplineConfiguration.defaultListenBind,
        rendezvous: PeerAddress? = nil,
        peerTimeoutSeconds: Double = 4,
        answerTimeoutSeconds: Double = 5,
        rekey: RekeyPolicy = RekeyPolicy(),
        relay: RelaySettings = RelaySettings(),
        relayCandidates: [PeerAddress] = [],
        dht: DHTSettings = DHTSettings(),
        redundantAudio: Bool = true
    ) {
        self.redundantAudio = redundantAudio
        self.codec = codec
        self.jitterBufferMode = jitterBufferMode
        self.jitterTargetMilliseconds = jitterTargetMilliseconds
        self.playoutPeriodMilliseconds = playoutPeriodMilliseconds
        self.listenBind = listenBind
        self.rendezvous = rendezvous
        self.peerTimeoutSeconds = peerTimeoutSeconds
        self.answerTimeoutSeconds = answerTimeoutSeconds
        self.rekey = rekey
        self.relay = relay
        self.relayCandidates = relayCandidates
        self.dht = dht
    }

    /// `hopline listen`'s default socket: every IPv4 interface, port 4730.
    public static let defaultListenBind = try! PeerAddress(parsing: "0.0.0.0:4730")

    /// Where the configuration lives when `--config` is not given: `$XDG_CONFIG_HOME/hopline/hopline.toml`,
    /// else `~/.config/hopline/hopline.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/hopline/hopline.toml" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/hopline/hopline.toml"
    }

    /// Loads `path` if given (it must exist), else the default path if a file is there, else the defaults.
    public static func load(explicitPath path: String?) throws(ConfigurationError) -> HoplineConfiguration {
        if let path { return try load(path: path) }
        let fallback = defaultPath()
        if FileManager.default.fileExists(atPath: fallback) { return try load(path: fallback) }
        return HoplineConfiguration()
    }

    /// Reads and checks one TOML file; unknown sections or keys and wrong types are errors naming them.
    public static func load(path: String) throws(ConfigurationError) -> HoplineConfiguration {
        switch TextFile.read(path: path) {
        case .success(let text): return try parse(text, path: path)
        case .failure(let problem): throw .unreadable(path: path, reason: problem.description)
        }
    }

    /// Parses TOML text; `path` only names the source in errors.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> HoplineConfiguration {
        let reader = try ConfigurationReader(text: text, path: path)
        var configuration = HoplineConfiguration()
        var codec = configuration.codec
        try reader.section("codec") { section throws(ConfigurationError) in
            if let value = try section.int("bitrate") { codec.bitrate = value }
            if let value = try section.int("frame_ms") { codec.frameMilliseconds = value }
            if let value = try section.int("complexity") { codec.complexity = value }
            if let value = try section.bool("fec") { codec.forwardErrorCorrection = value }
            if let value = try section.int("expected_loss_percent") { codec.expectedLossPercent = value }
            if let value = try section.bool("dtx") { codec.discontinuousTransmission = value }
            if let value = try section.bool("red") { configuration.redundantAudio = value }
        }
        do {
            try codec.validate()
        } catch {
            throw .invalidValue(path: path, key: "codec", reason: error.description)
        }
        configuration.codec = codec
        try reader.section("jitter_buffer") { section throws(ConfigurationError) in
            if let value = try section.string("mode") {
                guard let mode = LoopbackOptions.JitterBufferMode(rawValue: value) else {
                    throw .invalidValue(path: path, key: "jitter_buffer.mode", reason: "'\(value)' (expected \"adaptive\" or \"fixed\")")
                }
                configuration.jitterBufferMode = mode
            }
            if let value = try section.double("target_delay_ms") {
                guard (0...1_000).contains(value) else {
                    throw .invalidValue(path: path, key: "jitter_buffer.target_delay_ms", reason: "\(value) (expected 0...1000)")
                }
                configuration.jitterTargetMilliseconds = value
            }
        }
        try reader.section("audio") { section throws(ConfigurationError) in
            if let value = try section.int("playout_period_ms") {
                guard [5, 10, 20].contains(value) else {
                    throw .invalidValue(path: path, key: "audio.playout_period_ms", reason: "\(value) (expected 5, 10 or 20)")
                }
                configuration.playoutPeriodMilliseconds = value
            }
            if let value = try section.bool("echo_cancellation") { configuration.voiceProcessing.echoCancellation = value }
            if let value = try section.bool("noise_suppression") { configuration.voiceProcessing.noiseSuppression = value }
            if let value = try section.bool("auto_gain") { configuration.voiceProcessing.autoGain = value }
            if let value = try section.int("echo_tail_ms") {
                let range = VoiceProcessingOptions.echoTailRange
                guard range.contains(value) else {
                    throw .invalidValue(
                        path: path, key: "audio.echo_tail_ms",
                        reason: "\(value) (expected \(range.lowerBound)...\(range.upperBound))")
                }
                configuration.voiceProcessing.echoTailMilliseconds = value
            }
        }
        try reader.section("network") { section throws(ConfigurationError) in
            if let value = try section.string("listen_bind") {
                do {
                    configuration.listenBind = try PeerAddress(parsing: value)
                } catch {
                    throw .invalidValue(path: path, key: "network.listen_bind", reason: "\(error)")
                }
            }
            if let value = try section.string("rendezvous"), !value.isEmpty {
                do {
                    configuration.rendezvous = try PeerAddress(parsing: value)
                } catch {
                    throw .invalidValue(path: path, key: "network.rendezvous", reason: "\(error)")
                }
            }
        }
        try reader.section("call") { section throws(ConfigurationError) in
            if let value = try section.double("peer_timeout_s") {
                guard (1...30).contains(value) else {
                    throw .invalidValue(path: path, key: "call.peer_timeout_s", reason: "\(value) (expected 1...30)")
                }
                configuration.peerTimeoutSeconds = value
            }
            if let value = try section.double("answer_timeout_s") {
                guard (1...60).contains(value) else {
                    throw .invalidValue(path: path, key: "call.answer_timeout_s", reason: "\(value) (expected 1...60)")
                }
                configuration.answerTimeoutSeconds = value
            }
            if let value = try section.double("rekey_after_s") {
                guard RekeyPolicy.secondsRange.contains(value) else {
                    throw .invalidValue(path: path, key: "call.rekey_after_s", reason: "\(value) (expected 1...3600)")
                }
                configuration.rekey.afterSeconds = value
            }
            if let value = try section.int("rekey_after_packets") {
                guard value >= 0, RekeyPolicy.packetsRange.contains(UInt64(value)) else {
                    throw .invalidValue(
                        path: path, key: "call.rekey_after_packets", reason: "\(value) (expected 64...4294967296)")
                }
                configuration.rekey.afterPackets = UInt64(value)
            }
        }
        try parseRelay(reader, path: path, into: &configuration)
        try parseDHT(reader, path: path, into: &configuration)
        try reader.rejectUnknownSections(known: ["codec", "jitter_buffer", "audio", "network", "call", "relay", "dht"])
        return configuration
    }
}

/// Why a configuration file could not be used; each names the file and the key.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case syntax(path: String, line: Int, column: Int, reason: String)
    case unknownKey(path: String, key: String)
    case wrongType(path: String, key: String, expected: String)
    case invalidValue(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read configuration \(path): \(reason)"
        case .syntax(let path, let line, let column, let reason):
            return "\(path):\(line):\(column): TOML syntax error: \(reason)"
        case .unknownKey(let path, let key): return "\(path): unknown setting '\(key)' (see config/hopline.toml for the keys)"
        case .wrongType(let path, let key, let expected): return "\(path): '\(key)' must be \(expected)"
        case .invalidValue(let path, let key, let reason): return "\(path): invalid \(key): \(reason)"
        }
    }
}
