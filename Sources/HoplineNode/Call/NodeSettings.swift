import HoplineAudio
import HoplineCodec
import HoplineDiscovery
import HoplineNet

/// Everything a node needs to listen for or place calls, built by the CLI from flags over the
/// configuration file. Immutable and Sendable.
public struct NodeSettings: Sendable {
    /// Where the node's one UDP socket binds (signaling, address discovery, rendezvous and media).
    public var bind: PeerAddress
    public var codec: OpusSettings
    /// Which jitter buffer received media goes through (`[jitter_buffer] mode`, `--jitter-buffer`).
    public var jitterBufferMode: LoopbackOptions.JitterBufferMode
    /// Fixed mode: the playout delay; adaptive mode: the target before any measurement.
    public var jitterTargetMilliseconds: Double
    public var playoutPeriodMilliseconds: Int
    /// `--play`: a WAV file sent instead of the microphone.
    public var playPath: String?
    /// `--record`: where to write what this side hears (48 kHz, 16-bit WAV), at the end of each call.
    public var recordPath: String?
    /// `--duration`: each call is hung up after this many seconds of being connected.
    public var durationSeconds: Double?
    /// `--stats`: a file that gets one JSON line per second.
    public var statsPath: String?
    /// `--rendezvous`: the node used to register (listen) or to look peers up (call).
    public var rendezvous: PeerAddress?
    /// `--relay` and `[relay] candidates`: volunteer relays a call may go through (the caller opens sessions
    /// on the best two; the callee joins them).
    public var relays: [PeerAddress]
    /// Live devices when no file is given (`--input-device`, `--output-device`; nil: the default device).
    public var inputDevice: String?
    public var outputDevice: String?
    /// `--no-microphone`: send silence instead of the microphone when no `--play` file is given.
    public var noMicrophone: Bool
    /// `--no-speaker`: drop what arrives instead of playing it when no `--record` file is given.
    public var noSpeaker: Bool
    /// Voice processing on a live microphone: echo cancellation (on unless `--no-echo-cancel`; it runs only
    /// when the speaker is live too), noise suppression (`--noise-suppression`), gain control (`--auto-gain`).
    public var voiceProcessing: VoiceProcessingOptions = VoiceProcessingOptions()
    /// Whether to draw the once-a-second status line (stderr must also be a terminal).
    public var showStatusLine: Bool
    /// How long a silent peer is given before the call is declared dead (keepalives go once a second).
    public var peerTimeoutSeconds: Double
    /// How long to wait for the first answer to a handshake, seconds.
    public var answerTimeoutSeconds: Double
    /// How long an unanswered ringing call waits for the callee's user, seconds.
    public var ringTimeoutSeconds: Double
    /// When a call rotates its keys (`[call] rekey_after_s`, `rekey_after_packets`).
    public var rekey: RekeyPolicy
    /// How the node joins the DHT (`[dht]`, `--dht-bootstrap`); without a bootstrap node it does not.
    public var dht = DHTSettings()
    /// Offer RFC 2198 RED for incoming audio and send it to a peer that offers it too, while its reports
    /// show loss (`[codec] red`, `--no-red`).
    public var redundantAudio: Bool

    public init(
        bind: PeerAddress, codec: OpusSettings = OpusSettings(),
        jitterBufferMode: LoopbackOptions.JitterBufferMode = .adaptive, jitterTargetMilliseconds: Double = 20,
        playoutPeriodMilliseconds: Int = 10, playPath: String? = nil, recordPath: String? = nil,
        durationSeconds: Double? = nil, statsPath: String? = nil, rendezvous: PeerAddress? = nil, relays: [PeerAddress] = [],
        inputDevice: String? = nil, outputDevice: String? = nil, noMicrophone: Bool = false, noSpeaker: Bool = false,
        showStatusLine: Bool = true,
        peerTimeoutSeconds: Double = 4, answerTimeoutSeconds: Double = 5, ringTimeoutSeconds: Double = 60,
        rekey: RekeyPolicy = RekeyPolicy(), redundantAudio: Bool = true
    ) {
        self.redundantAudio = redundantAudio
        self.bind = bind
        self.codec = codec
        self.jitterBufferMode = jitterBufferMode
        self.jitterTargetMilliseconds = jitterTargetMilliseconds
        self.playoutPeriodMilliseconds = playoutPeriodMilliseconds
        self.playPath = playPath
        self.recordPath = recordPath
        self.durationSeconds = durationSeconds
        self.statsPath = statsPath
        self.rendezvous = rendezvous
        self.relays = relays
        self.inputDevice = inputDevice
        self.outputDevice = outputDevice
        self.noMicrophone = noMicrophone
        self.noSpeaker = noSpeaker
        self.showStatusLine = showStatusLine
        self.peerTimeoutSeconds = peerTimeoutSeconds
        self.answerTimeoutSeconds = answerTimeoutSeconds
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.rekey = rekey
    }
}

/// How a listening node answers.
public struct ListenPolicy: Sendable {
    /// Accept every allowed call at once; otherwise ring and ask on the terminal (no terminal: reject).
    public var autoAnswer: Bool
    /// Only these node IDs may call; empty: anyone.
    public var acceptFrom: Set<NodeID>

    public init(autoAnswer: Bool, acceptFrom: Set<NodeID> = []) {
        self.autoAnswer = autoAnswer
        self.acceptFrom = acceptFrom
    }
}
