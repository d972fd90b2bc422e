import Foundation
import HoplineAudio
import HoplineNode

/// One benchmark run: load the speech, time the bare codec and the pipeline in alternating rounds, write
/// the three aligned WAV files, score both outputs with PESQ-WB, and gather it all in a `BenchmarkResult`.
///
/// Runs on the calling thread (the pipeline starts its own socket thread while it runs).
struct Benchmark {
    var configuration: BenchmarkConfiguration

    /// `progress` gets one line per step, for the terminal (stderr).
    func run(progress: (String) -> Void) throws -> BenchmarkResult {
        let corpus = try SpeechCorpus.load(
            directory: configuration.speechDirectory, minimumSeconds: configuration.minimumSeconds)
        progress(String(
            format: "speech: %.2f s from %d file(s) in %@", corpus.seconds, corpus.fileCount,
            configuration.speechDirectory))

        // RTCP off: on a clean path receiver reports would lower the encoder's expected loss to 0 (no FEC
        // bits), and the pipeline would no longer run the codec at the bare codec's settings.
        let options = LoopbackOptions(
            codec: configuration.codec, jitterTargetMilliseconds: configuration.jitterTargetMilliseconds,
            receiverReportIntervalMilliseconds: 0, pacing: .fast)
        var bareCosts: [Cost] = []
        var pipelineCosts: [Cost] = []
        var bareOutput: [Float] = []
        var pipelineOutcome: LoopbackOutcome?

        func runBare() throws {
            let (output, cost) = try Cost.measure { try BareCodec.run(input: corpus.samples, settings: configuration.codec) }
            bareOutput = output
            bareCosts.append(cost)
        }
        func runPipeline() throws {
            let (outcome, cost) = try Cost.measure { try LoopbackLab(options: options).run(input: corpus.samples) }
            pipelineOutcome = outcome
            pipelineCosts.append(cost)
        }
        for round in 1...configuration.rounds {
            // Alternate which side goes first, so neither always runs on a warmer (or busier) machine.
            if round % 2 == 1 {
                try runBare()
                try runPipeline()
            } else {
                try runPipeline()
                try runBare()
            }
            let bare = bareCosts[bareCosts.count - 1]
            let pipeline = pipelineCosts[pipelineCosts.count - 1]
            progress(String(
                format: "round %d/%d: bare codec %.1fx real time (%.3f s), pipeline %.1fx (%.3f s)",
                round, configuration.rounds, corpus.seconds / bare.wallSeconds, bare.wallSeconds,
                corpus.seconds / pipeline.wallSeconds, pipeline.wallSeconds))
        }
        guard let pipelineOutcome else { preconditionFailure("at least one round ran") }

        let files = try writeOutputs(original: corpus.samples, bare: bareOutput, pipeline: pipelineOutcome.output)
        let segments = corpus.segments.map {
            (start: Double($0.start) / Double(SpeechCorpus.sampleRate), end: Double($0.end) / Double(SpeechCorpus.sampleRate))
        }
        progress("scoring PESQ-WB with \(configuration.scorer.script) ...")
        let bareScore = try configuration.scorer.score(reference: files.original, degraded: files.bare, segments: segments)
        let pipelineScore = try configuration.scorer.score(
            reference: files.original, degraded: files.pipeline, segments: segments)

        return BenchmarkResult(
            configuration: configuration, corpus: corpus, bareCosts: bareCosts, pipelineCosts: pipelineCosts,
            bareScore: bareScore, pipelineScore: pipelineScore,
            comparison: OutputComparison(bare: bareOutput, pipeline: pipelineOutcome.output),
            pipelineReport: pipelineOutcome.report, files: files)
    }

    /// Writes the original and both outputs (48 kHz, 16-bit, same length, aligned) into the output folder.
    private func writeOutputs(original: [Float], bare: [Float], pipeline: [Float]) throws -> BenchmarkResult.Files {
        let folder = configuration.outputDirectory
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw BenchmarkError.outputFolder(folder, reason: error.localizedDescription)
        }
        func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).path }
        let files = BenchmarkResult.Files(
            original: path("original.wav"), bare: path("bare-codec.wav"), pipeline: path("pipeline.wav"))
        for (samples, file) in [(original, files.original), (bare, files.bare), (pipeline, files.pipeline)] {
            try WAVWriter.write(PCMAudio(sampleRate: SpeechCorpus.sampleRate, samples: samples), toPath: file)
        }
        return files
    }
}
