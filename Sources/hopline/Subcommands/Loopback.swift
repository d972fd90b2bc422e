import ArgumentParser
import HoplineCore
import HoplineNode

extension LoopbackOptions.JitterBufferMode: ExpressibleByArgument {}

extension Hopline {
    /// `hopline loopback`: a WAV file through a complete call pipeline on this machine.
    struct Loopback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a WAV file through a full call pipeline over real UDP sockets on 127.0.0.1.",
            discussion: """
                A sending and a receiving node run in this process, each with its own UDP socket and the same \
                media engine as a call. The input (PCM 8/16/24/32-bit or 32-bit float, mono or stereo, 8-48 \
                kHz) is streamed, encoded with Opus, sent as SRTP, played out through the jitter buffer, and \
                written to --out with the same length. A report \
                follows: frames sent/received/late/lost/concealed, jitter-buffer delay, end-to-end latency, \
                bitrate and CPU time.

                --impair SPEC: comma-separated key=value items, optionally led by one preset name whose settings \
                later items override (e.g. "wifi,seed=3"). Keys: loss=PERCENT, burst=P/R[/H[/K]] (Gilbert-Elliott), \
                delay=MS, jitter=MS, jitter-dist=normal|pareto, reorder=on|off, dup=PERCENT, \
                stall=DURATION/PERIOD, skew=PPM, seed=N. The same seed gives the same packet fates.

                Presets:
                """ + ImpairmentSpec.presetHelp)

        @Option(name: .customLong("in"), help: ArgumentHelp("Input WAV file.", valueName: "file.wav"))
        var input: String

        @Option(name: .customLong("out"), help: ArgumentHelp("Where to write the received audio (WAV, 16-bit).", valueName: "file.wav"))
        var output: String

        @Option(name: .customLong("out-rate"), help: ArgumentHelp("Output sample rate in Hz (default: the input's).", valueName: "hz"))
        var outputRate: Int?

        @Flag(help: "Run on a virtual clock as fast as the CPU allows (same results every run).")
        var fast = false

        @Option(name: .customLong("jitter-ms"), help: ArgumentHelp("Jitter buffer delay in ms: fixed mode's delay, adaptive mode's starting target (default from the config: 20).", valueName: "ms"))
        var jitterTargetMilliseconds: Double?

        @Option(name: .customLong("jitter-buffer"), help: ArgumentHelp("Jitter buffer: adaptive or fixed (default from the config: adaptive).", valueName: "mode"))
        var jitterBufferMode: LoopbackOptions.JitterBufferMode?

        @Option(help: ArgumentHelp("Impair the network between the nodes: a preset name or key=value list, e.g. \"loss=5%,jitter=30ms\" or \"wifi,seed=3\" (presets and keys below).", valueName: "spec"))
        var impair: String?

        @Option(help: ArgumentHelp("Draw the jitter buffer's timeline (arrivals, losses, target and actual delay, playout operations) as SVG.", valueName: "file.svg"))
        var plot: String?

        @Option(name: .customLong("rtcp-interval-ms"), help: ArgumentHelp("RTCP report interval; the sender adapts FEC and bitrate to receiver reports. 0 turns RTCP off.", valueName: "ms"))
        var receiverReportIntervalMilliseconds = 1_000

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
            if !(0...60_000).contains(receiverReportIntervalMilliseconds) {
                throw ValidationError("--rtcp-interval-ms \(receiverReportIntervalMilliseconds) is out of range (expected 0...60000)")
            }
            if let impair {
                do { _ = try ImpairmentSpec(parsing: impair) } catch { throw ValidationError("--impair: \(error)") }
            }
        }

        func run() throws {
            let configuration = try config.load()
            let options = LoopbackOptions(
                codec: codec.applied(to: configuration.codec),
                jitterBuffer: jitterBufferMode ?? configuration.jitterBufferMode,
                jitterTargetMilliseconds: jitterTargetMilliseconds ?? configuration.jitterTargetMilliseconds,
                impairment: try impair.map { try ImpairmentSpec(parsing: $0) },
                receiverReportIntervalMilliseconds: receiverReportIntervalMilliseconds,
                pacing: fast ? .fast : .realTime,
                playoutChunkMilliseconds: configuration.playoutPeriodMilliseconds,
                redundantAudio: codec.red ?? configuration.redundantAudio)
            let job = LoopbackFileJob(
                inputPath: input, outputPath: output, outputRate: outputRate, plotPath: plot, options: options)
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
