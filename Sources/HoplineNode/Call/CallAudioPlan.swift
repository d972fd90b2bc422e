import HoplineAudio

/// Where a call's audio comes from and goes to, decided from the settings before any call: a file, the
/// microphone or silence; a recording, the speaker or nowhere. `checkDevices()` opens the live devices the
/// plan needs once at start, so a node without them refuses before it dials or answers, naming the missing
/// device and the flags that replace it.
public struct CallAudioPlan: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// `--play FILE`
        case file(String)
        /// The microphone (nil: the default input device).
        case microphone(String?)
        /// `--no-microphone`: silence is sent.
        case silence
    }

    public enum Sink: Equatable, Sendable {
        /// `--record FILE`
        case recording(String)
        /// The speaker (nil: the default output device).
        case speaker(String?)
        /// `--no-speaker`: what arrives is decoded (statistics, levels) and dropped.
        case discard
    }

    public var source: Source
    public var sink: Sink

    public init(source: Source, sink: Sink) {
        self.source = source
        self.sink = sink
    }

    public init(settings: NodeSettings) {
        if let play = settings.playPath {
            source = .file(play)
        } else {
            source = settings.noMicrophone ? .silence : .microphone(settings.inputDevice)
        }
        if let record = settings.recordPath {
            sink = .recording(record)
        } else {
            sink = settings.noSpeaker ? .discard : .speaker(settings.outputDevice)
        }
    }

    /// The live streams a call opens: only the directions the plan uses (nil: none).
    public var liveConfiguration: LiveAudioConfiguration? {
        var configuration = LiveAudioConfiguration(directions: [])
        if case .microphone(let device) = source {
            configuration.directions.insert(.input)
            configuration.input = device.map { AudioDeviceSelector(argument: $0) } ?? .systemDefault
        }
        if case .speaker(let device) = sink {
            configuration.directions.insert(.output)
            configuration.output = device.map { AudioDeviceSelector(argument: $0) } ?? .systemDefault
        }
        return configuration.directions.isEmpty ? nil : configuration
    }

    /// Opens and closes each live device the plan needs; throws `CallError.setupFailed` naming the missing
    /// device and the flags that replace it.
    public func checkDevices() throws(CallError) {
        guard let configuration = liveConfiguration else { return }
        var problems: [String] = []
        for direction in [AudioDirection.input, .output] where configuration.directions.contains(direction) {
            var single = configuration
            single.directions = [direction]
            do {
                let stream = try LiveAudioStream(configuration: single)
                stream.close()
            } catch {
                problems.append(direction == .input
                    ? "no microphone: \(error) (send a file with --play FILE.wav, or silence with --no-microphone)"
                    : "no speaker: \(error) (record to a file with --record FILE.wav, or drop what arrives with --no-speaker)")
            }
        }
        guard problems.isEmpty else { throw .setupFailed(problems.joined(separator: "; ")) }
    }
}
