import Foundation
import HoplineAudio

/// The `hopline loopback` job end to end: stream a WAV file (any supported format, resampled to 48 kHz),
/// send it through the loopback lab, resample the received audio to the input's rate (or `outputRate`) and
/// write it atomically, so an interrupted run never leaves a half-written file.
public struct LoopbackFileJob: Sendable {
    public var inputPath: String
    public var outputPath: String
    /// The output WAV's sample rate; nil keeps the input's.
    public var outputRate: Int?
    /// Where to draw the jitter buffer's timeline as SVG (nil: no plot).
    public var plotPath: String?
    public var options: LoopbackOptions

    public init(inputPath: String, outputPath: String, outputRate: Int?, plotPath: String? = nil, options: LoopbackOptions) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.outputRate = outputRate
        self.plotPath = plotPath
        self.options = options
        if plotPath != nil { self.options.recordsTimeline = true }
    }

    /// Opens the input first (so a bad file fails before any work), then streams it through the lab into
    /// `outputPath.partial`, renamed into place at the end; `progress` is called with the input's duration
    /// once, then with the fraction done. Memory does not grow with the file (see `LoopbackLab`).
    public func run(progress: ((_ audioSeconds: Double, _ fraction: Double) -> Void)? = nil) throws -> LoopbackReport {
        if let outputRate, !(8_000...48_000).contains(outputRate) {
            throw LoopbackError.invalidOption("output rate \(outputRate) Hz (expected 8000...48000)")
        }
        let input = try WAVLoopbackInput(path: inputPath)
        let duration = Double(input.sampleCount) / 48_000
        let lab = try LoopbackLab(options: options)
        let output = try WAVLoopbackOutput(
            path: outputPath, sampleRate: outputRate ?? input.fileSampleRate, inputCount: input.sampleCount)
        let outcome: LoopbackOutcome
        do {
            outcome = try lab.run(input: input, output: output) { fraction in progress?(duration, fraction) }
        } catch {
            unlink(output.partialPath)
            throw error
        }
        if let plotPath {
            let title = "hopline loopback: \(inputPath), network \(options.impairment?.description ?? "clean")"
            let svg = TimelinePlot(title: title).svg(events: outcome.timeline, origin: outcome.origin)
            do {
                try svg.write(toFile: plotPath, atomically: true, encoding: .utf8)
            } catch {
                throw LoopbackError.invalidOption("plot path \(plotPath): cannot write (\(error.localizedDescription))")
            }
        }
        var report = outcome.report
        report.inputFile = inputPath
        report.outputFile = outputPath
        return report
    }
}
