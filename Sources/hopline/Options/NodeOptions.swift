import ArgumentParser
import HoplineAudio
import HoplineDiscovery
import HoplineNet
import HoplineNode

/// Flags every calling command shares: the socket, the rendezvous, the identity file.
struct NodeNetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Local UDP address for signaling and media (IPv4 or [IPv6]).", valueName: "host:port"))
    var bind: String?

    @Option(help: ArgumentHelp("A Hopline node to register at (listen) or to look the callee up at (call).", valueName: "host:port"))
    var rendezvous: String?

    @Option(help: ArgumentHelp("Identity file (default: $XDG_CONFIG_HOME/hopline/identity).", valueName: "path"))
    var identity: String?

    @OptionGroup
    var dht: DHTOptions

    func validate() throws {
        if let bind { _ = try parse(bind, flag: "--bind") }
        if let rendezvous { _ = try parse(rendezvous, flag: "--rendezvous") }
    }

    func bindAddress(default fallback: String) throws -> PeerAddress { try parse(bind ?? fallback, flag: "--bind") }

    func rendezvousAddress(default fallback: String?) throws -> PeerAddress? {
        guard let text = rendezvous ?? fallback else { return nil }
        return try parse(text, flag: "--rendezvous")
    }

    /// Loads the identity, catches Ctrl-C and binds the node's socket: what `listen` and `call` share.
    func startNode(_ settings: NodeSettings) throws -> NodeRuntime {
        let identity = try loadIdentity()
        let stop = StopSignal()
        stop.install()
        do {
            return try NodeRuntime(settings: settings, identity: identity, stop: stop) { writeToStderr($0 + "\n") }
        } catch {
            throw CLIError("\(error)")
        }
    }

    private func loadIdentity() throws -> NodeIdentity {
        do {
            let (identity, created) = try IdentityStore.loadOrCreate(path: identity)
            if created { writeToStderr("created a new identity: node ID \(identity.nodeID)\n") }
            return identity
        } catch {
            throw CLIError("\(error)")
        }
    }

    private func parse(_ text: String, flag: String) throws -> PeerAddress { try parseAddress(text, flag: flag) }

    /// `[dht]` with `--dht-bootstrap` on top.
    func dhtSettings(configured: DHTSettings) throws -> DHTSettings { try dht.settings(configured: configured) }
}

/// Parses a `HOST:PORT` flag value; the error names the flag.
func parseAddress(_ text: String, flag: String) throws -> PeerAddress {
    do {
        return try PeerAddress(parsing: text)
    } catch {
        throw ValidationError("\(flag): \(error)")
    }
}

/// `hopline call`'s relays: the calls this node places open sessions on the best two (the callee joins them).
struct CallRelayOptions: ParsableArguments {
    @Option(name: .customLong("relay"), help: ArgumentHelp("A volunteer relay the call may go through (repeatable; before [relay] candidates).", valueName: "host:port"))
    var relays: [String] = []

    func validate() throws {
        for relay in relays { _ = try parseAddress(relay, flag: "--relay") }
    }

    /// `--relay` flags, then the configuration's candidates, without repeats.
    func addresses(configured: [PeerAddress]) throws -> [PeerAddress] {
        var list: [PeerAddress] = []
        for address in try relays.map({ try parseAddress($0, flag: "--relay") }) + configured where !list.contains(address) {
            list.append(address)
        }
        return list
    }
}

/// Flags for a call's audio, length, statistics and devices.
struct CallMediaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Send this WAV file instead of the microphone.", valueName: "file.wav"))
    var play: String?

    @Option(help: ArgumentHelp("Write what this side hears to a WAV file (48 kHz) when the call ends.", valueName: "file.wav"))
    var record: String?

    @Option(help: ArgumentHelp("Hang up after this many seconds connected.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Append the status as one JSON line per second to this file.", valueName: "file"))
    var stats: String?

    @Option(name: .customLong("input-device"), help: ArgumentHelp("Microphone: index or name from `hopline devices`.", valueName: "device"))
    var inputDevice: String?

    @Option(name: .customLong("output-device"), help: ArgumentHelp("Speaker: index or name from `hopline devices`.", valueName: "device"))
    var outputDevice: String?

    @Option(name: .customLong("jitter-ms"), help: ArgumentHelp("Jitter buffer delay in ms: fixed mode's delay, adaptive mode's starting target (default from the config: 20).", valueName: "ms"))
    var jitterTargetMilliseconds: Double?

    @Option(name: .customLong("jitter-buffer"), help: ArgumentHelp("Jitter buffer: adaptive or fixed (default from the config: adaptive).", valueName: "mode"))
    var jitterBufferMode: LoopbackOptions.JitterBufferMode?

    @Flag(name: .customLong("no-microphone"), help: "Send silence instead of the microphone (no input device needed).")
    var noMicrophone = false

    @Flag(name: .customLong("no-speaker"), help: "Drop what arrives instead of playing it (no output device needed).")
    var noSpeaker = false

    @Flag(name: .customLong("no-echo-cancel"), help: "Do not cancel the speaker's echo in the microphone (on by default when both are live).")
    var noEchoCancel = false

    @Option(name: .customLong("echo-tail-ms"), help: ArgumentHelp("The echo tail the echo canceller's filter models, ms, 5...500 (default from the config: 10; longer for a reverberant room).", valueName: "ms"))
    var echoTailMilliseconds: Int?

    @Flag(name: .customLong("noise-suppression"), help: "Suppress steady noise in the microphone (WebRTC's noise suppression).")
    var noiseSuppression = false

    @Flag(name: .customLong("auto-gain"), help: "Automatic gain control on the microphone (WebRTC's adaptive digital AGC).")
    var autoGain = false

    @Flag(name: .customLong("no-status"), help: "Do not draw the once-a-second status line.")
    var noStatus = false

    func validate() throws {
        if let duration, !(duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration \(duration) is out of range (expected more than 0, at most 86400 s)")
        }
        if let jitterTargetMilliseconds, !(0...1_000).contains(jitterTargetMilliseconds) {
            throw ValidationError("--jitter-ms \(jitterTargetMilliseconds) is out of range (expected 0...1000)")
        }
        if play != nil && inputDevice != nil { throw ValidationError("--play and --input-device exclude each other") }
        if record != nil && outputDevice != nil { throw ValidationError("--record and --output-device exclude each other") }
        if let echoTailMilliseconds, !VoiceProcessingOptions.echoTailRange.contains(echoTailMilliseconds) {
            let range = VoiceProcessingOptions.echoTailRange
            throw ValidationError("--echo-tail-ms \(echoTailMilliseconds) is out of range (expected \(range.lowerBound)...\(range.upperBound))")
        }
        if noMicrophone && (play != nil || inputDevice != nil) {
            throw ValidationError("--no-microphone excludes --play and --input-device")
        }
        if noSpeaker && (record != nil || outputDevice != nil) {
            throw ValidationError("--no-speaker excludes --record and --output-device")
        }
    }
}

extension NodeSettings {
    /// Settings from the configuration file with the command's flags on top.
    init(
        network: NodeNetworkOptions, media: CallMediaOptions, codec: CodecOptions, configuration: HoplineConfiguration,
        defaultBind: String
    ) throws {
        self.init(
            bind: try network.bindAddress(default: defaultBind),
            codec: codec.applied(to: configuration.codec),
            jitterBufferMode: media.jitterBufferMode ?? configuration.jitterBufferMode,
            jitterTargetMilliseconds: media.jitterTargetMilliseconds ?? configuration.jitterTargetMilliseconds,
            playoutPeriodMilliseconds: configuration.playoutPeriodMilliseconds,
            playPath: media.play, recordPath: media.record, durationSeconds: media.duration, statsPath: media.stats,
            rendezvous: try network.rendezvousAddress(default: configuration.rendezvous?.description),
            inputDevice: media.inputDevice, outputDevice: media.outputDevice, noMicrophone: media.noMicrophone,
            noSpeaker: media.noSpeaker, showStatusLine: !media.noStatus,
            peerTimeoutSeconds: configuration.peerTimeoutSeconds, answerTimeoutSeconds: configuration.answerTimeoutSeconds,
            rekey: configuration.rekey, redundantAudio: codec.red ?? configuration.redundantAudio)
        voiceProcessing = configuration.voiceProcessing
        if media.noEchoCancel { voiceProcessing.echoCancellation = false }
        if media.noiseSuppression { voiceProcessing.noiseSuppression = true }
        if media.autoGain { voiceProcessing.autoGain = true }
        if let tail = media.echoTailMilliseconds { voiceProcessing.echoTailMilliseconds = tail }
        dht = try network.dhtSettings(configured: configuration.dht)
    }
}
