import ArgumentParser
import HoplineNode

extension Hopline {
    /// `hopline loopback`: a WAV file through a complete call pipeline on this machine.
    struct Loopback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a WAV file through a full call pipeline over real UDP sockets on 127.0.0.1.",
            discussion: """
                A sending and a receiving node run in this process, each with its own UDP socket. The input \
                (PCM 8/16/24/32-bit or 32-bit float, mono or stereo, 8-48 kHz) is encoded with Opus, sent as \
                RTP, played out through the jitter buffer, and written to --out with the same length. A report \
                follows: frames sent/received/late/lost/concealed, jitter-buffer delay, end-to-end latency, \
                bitrate and CPU time.
                """)

        @Option(name: .customLong("in"), help: ArgumentHelp("Input WAV file.", valueName: "file.wav"))
        var input: String

        @Option(name: .customLong("out"), help: ArgumentHelp("Where to write the received audio (WAV, 16-bit).", valueName: "file.wav"))
        var output: String

        @Option(name: .customLong("out-rate"), help: ArgumentHelp("Output sample rate in Hz (default: the input's).", valueName: "hz"))
        var outputRate: Int?

        @Flag(help: "Run on a virtual clock as fast as the CPU allows (same results every run).")
        var fast = false

        @Option(name: .customLong("jitter-ms"), help: ArgumentHelp("Jitter buffer target delay in ms (default from the config: 20).", valueName: "ms"))
        var jitterTargetMilliseconds: Double?

        @Flag(help: "Print the report as JSON instead of text.")
        var json = false

        @OptionGroup(title: "Codec")
        var codec: CodecOptions

        @OptionGroup
        var config: ConfigOption

        func validate() throws {
            if let outputRate, !(8_000...48_000).contains(outputRate) {
                throw ValidationError("--out-rate \(outputRate) is out of range (expected 8000...48000 Hz)")
            }
            if let jitterTargetMilliseconds, !(0...1_000).contains(jitterTargetMilliseconds) {
                throw ValidationError("--jitter-ms \(jitterTargetMilliseconds) is out of range (expected 0...1000)")
            }
        }

        func run() throws {
            let configuration = try config.load()
            let options = LoopbackOptions(
                codec: codec.applied(to: configuration.codec),
                jitterTargetMilliseconds: jitterTargetMilliseconds ?? configuration.jitterTargetMilliseconds,
                pacing: fast ? .fast : .realTime,
                playoutChunkMilliseconds: configuration.playoutPeriodMilliseconds)
            let job = LoopbackFileJob(inputPath: input, outputPath: output, outputRate: outputRate, options: options)
            var bar: ProgressBar?
            let report: LoopbackReport
            do {
                report = try job.run { audioSeconds, fraction in
                    if bar == nil { bar = ProgressBar(label: "loopback", enabled: audioSeconds > 3) }
                    bar?.update(fraction)
                }
            } catch {
                bar?.finish()
                throw CLIError(String(describing: error))
            }
            bar?.finish()
            print(json ? try report.json() : report.text)
        }
    }
}
