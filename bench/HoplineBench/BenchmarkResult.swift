import Foundation
import HoplineCodec
import HoplineNode

/// Everything one benchmark run measured, with the verdict on each target. Printed as a table for people
/// (`BenchmarkResult+Table.swift`) or as JSON for machines (`json()`; field names are the keys).
struct BenchmarkResult: Sendable, Codable {
    /// The WAV files the run wrote: all 48 kHz mono 16-bit, the input's length, aligned to the original.
    struct Files: Sendable, Codable {
        var original: String
        var bare: String
        var pipeline: String
    }

    /// One side's timings over the rounds and what they come to.
    struct Speed: Sendable, Codable {
        /// Each round's cost, in the order run.
        var rounds: [Cost]
        var medianWallSeconds: Double
        var medianCPUSeconds: Double
        /// Audio seconds per wall-clock second (median round).
        var realTimeFactor: Double
        /// Audio seconds per CPU second (median round).
        var cpuRealTimeFactor: Double

        init(audioSeconds: Double, rounds: [Cost]) {
            self.rounds = rounds
            medianWallSeconds = rounds.map(\.wallSeconds).median
            medianCPUSeconds = rounds.map(\.cpuSeconds).median
            realTimeFactor = medianWallSeconds > 0 ? audioSeconds / medianWallSeconds : 0
            cpuRealTimeFactor = medianCPUSeconds > 0 ? audioSeconds / medianCPUSeconds : 0
        }
    }

    /// A measured value against its target.
    struct Verdict: Sendable, Codable {
        var value: Double
        var target: String
        var passed: Bool
    }

    var speechDirectory: String
    var speechFiles: Int
    var audioSeconds: Double
    var codec: OpusSettings
    var jitterTargetMs: Double
    var bare: Speed
    var pipeline: Speed
    /// Pipeline real-time factor / bare codec real-time factor, wall clock (target >= 0.8).
    var speedRatio: Verdict
    /// The same ratio on CPU time (both nodes and the socket thread against one codec loop); for information.
    var cpuSpeedRatio: Double
    var barePESQ: PESQScore
    var pipelinePESQ: PESQScore
    /// Median PESQ-WB of the pipeline minus that of the bare codec (target |difference| <= 0.05).
    var pesqDifference: Verdict
    var outputComparison: OutputComparison
    /// The last pipeline round's own report (frames, latency, bitrate, ...).
    var pipelineReport: LoopbackReport
    var files: Files
    /// Whether every target was met.
    var passed: Bool

    init(
        configuration: BenchmarkConfiguration, corpus: SpeechCorpus, bareCosts: [Cost], pipelineCosts: [Cost],
        bareScore: PESQScore, pipelineScore: PESQScore, comparison: OutputComparison,
        pipelineReport: LoopbackReport, files: Files
    ) {
        let targets = configuration.targets
        speechDirectory = configuration.speechDirectory
        speechFiles = corpus.fileCount
        audioSeconds = corpus.seconds
        codec = configuration.codec
        jitterTargetMs = configuration.jitterTargetMilliseconds
        bare = Speed(audioSeconds: corpus.seconds, rounds: bareCosts)
        pipeline = Speed(audioSeconds: corpus.seconds, rounds: pipelineCosts)
        let ratio = bare.realTimeFactor > 0 ? pipeline.realTimeFactor / bare.realTimeFactor : 0
        speedRatio = Verdict(
            value: ratio, target: String(format: ">= %.2f", targets.minimumSpeedRatio),
            passed: ratio >= targets.minimumSpeedRatio)
        cpuSpeedRatio = bare.cpuRealTimeFactor > 0 ? pipeline.cpuRealTimeFactor / bare.cpuRealTimeFactor : 0
        barePESQ = bareScore
        pipelinePESQ = pipelineScore
        let difference = (pipelineScore.median ?? 0) - (bareScore.median ?? 0)
        pesqDifference = Verdict(
            value: difference, target: String(format: "abs(diff) <= %.2f", targets.maximumPESQDifference),
            passed: abs(difference) <= targets.maximumPESQDifference)
        outputComparison = comparison
        self.pipelineReport = pipelineReport
        self.files = files
        passed = speedRatio.passed && pesqDifference.passed
    }

    /// The result as pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
