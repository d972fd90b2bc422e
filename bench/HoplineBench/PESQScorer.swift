import Foundation

/// Runs `bench/pesq_score.py` (PESQ-WB at 16 kHz after cross-correlation alignment) on one reference and
/// one degraded WAV file with a Python interpreter, and decodes the JSON it prints.
///
/// Blocks until the script exits; its stderr goes to ours.
struct PESQScorer: Sendable {
    /// The interpreter, looked up on PATH unless it is a path.
    var python: String
    var script: String

    /// `bench/pesq_score.py` under the current folder when it exists (running from the repository root, as
    /// `make bench` does), else next to this source tree.
    static func defaultScript(sourceFile: String = #filePath) -> String {
        let relative = "bench/pesq_score.py"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        return URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("pesq_score.py").path
    }

    /// Scores `degraded` against `reference`, each segment (seconds on the reference's timeline) apart.
    func score(reference: String, degraded: String, segments: [(start: Double, end: Double)]) throws -> PESQScore {
        let arguments = [python, script, reference, degraded]
            + segments.flatMap { ["--segment", String(format: "%.6f:%.6f", $0.start, $0.end)] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let command = arguments.prefix(4).joined(separator: " ") + (segments.isEmpty ? "" : " --segment ...")
        do {
            try process.run()
        } catch {
            throw BenchmarkError.scorerFailed(command: command, status: -1, detail: error.localizedDescription)
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationStatus
        // Status 1 still prints JSON: no segment could be scored, and each segment says why.
        guard status == 0 || status == 1 else {
            throw BenchmarkError.scorerFailed(command: command, status: status, detail: "see its message above")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let score: PESQScore
        do {
            score = try decoder.decode(PESQScore.self, from: data)
        } catch {
            let text = String(decoding: data.prefix(500), as: UTF8.self)
            throw BenchmarkError.scorerFailed(command: command, status: status, detail: "unreadable output: \(text)")
        }
        guard score.median != nil else {
            let reasons = score.segments.compactMap(\.error).prefix(3).joined(separator: "; ")
            throw BenchmarkError.scorerFailed(command: command, status: status, detail: "no segment scored: \(reasons)")
        }
        return score
    }
}

/// What `pesq_score.py` reports for one degraded file: per-segment PESQ-WB (MOS-LQO, 1.0...4.64), their
/// median and mean, and how the degraded file had to be shifted to line up with the reference.
struct PESQScore: Sendable, Codable {
    /// One scored span, or why it could not be scored.
    struct Segment: Sendable, Codable {
        var startS: Double
        var endS: Double
        var pesq: Double?
        var error: String?
    }

    var median: Double?
    var mean: Double?
    /// The shift alignment found, in ms (0 when the file was already aligned).
    var lagMs: Double
    /// Normalised cross-correlation at that shift (1.0 for identical signals).
    var correlation: Double
    var scored: Int
    var failed: Int
    var segments: [Segment]
}
