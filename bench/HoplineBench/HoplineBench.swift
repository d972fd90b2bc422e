import ArgumentParser
import Foundation
import HoplineCodec

/// `hopline-bench`: times `loopback --fast` against a bare libopus encode+decode of the same speech at the
/// same settings, scores both outputs with PESQ-WB, and prints one table with PASS/FAIL per target.
///
/// A missed target is reported as FAIL in the table and the process still exits 0; only errors (unreadable
/// speech, a failed run, a scorer that cannot run) exit non-zero.
@main
struct HoplineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hopline-bench",
        abstract: "Benchmark the loopback pipeline against the bare Opus codec: speed and PESQ-WB.",
        discussion: """
            Joins every *.wav in --speech (in name order, resampled to 48 kHz, repeated until at least
            --min-seconds long), then alternates, --rounds times: (a) the bare codec, every frame through one
            Opus encoder and decoder; (b) the whole pipeline, `loopback --fast` over real UDP sockets on
            127.0.0.1. Speeds are medians over the rounds. The original, the bare codec's output and the
            pipeline's output (all aligned, same length) are written to --out, and bench/pesq_score.py
            scores both outputs against the original (PESQ-WB at 16 kHz, median over the speech files).
            See bench/README.md for how to read the table.
            """)

    @Option(help: ArgumentHelp("Folder of speech WAV files.", valueName: "dir"))
    var speech: String

    @Option(help: ArgumentHelp("Folder for the WAV files the benchmark writes (created if missing).", valueName: "dir"))
    var out: String

    @Option(help: "Timed rounds of each side; speeds are the median over rounds.")
    var rounds = 5

    @Option(name: .customLong("min-seconds"), help: ArgumentHelp("Least audio to process per run, in seconds.", valueName: "s"))
    var minimumSeconds: Double = 60

    @Option(help: ArgumentHelp("Python interpreter with numpy, scipy and pesq.", valueName: "python"))
    var python = "python3"

    @Option(help: ArgumentHelp("The PESQ script (default: bench/pesq_score.py).", valueName: "file.py"))
    var scorer: String?

    @Flag(help: "Print the result as JSON instead of the table.")
    var json = false

    func validate() throws {
        guard (1...100).contains(rounds) else {
            throw ValidationError("--rounds \(rounds) is out of range (expected 1...100)")
        }
        guard minimumSeconds > 0, minimumSeconds <= 3_600 else {
            throw ValidationError("--min-seconds \(minimumSeconds) is out of range (expected more than 0, at most 3600)")
        }
    }

    func run() throws {
        let configuration = BenchmarkConfiguration(
            speechDirectory: speech, outputDirectory: out, rounds: rounds, minimumSeconds: minimumSeconds,
            codec: OpusSettings(), jitterTargetMilliseconds: 20,
            scorer: PESQScorer(python: python, script: scorer ?? PESQScorer.defaultScript()))
        // Errors (every one says what was wrong) reach ArgumentParser, which prints them and exits 1.
        let result = try Benchmark(configuration: configuration).run { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(json ? try result.json() : result.table)
    }
}
