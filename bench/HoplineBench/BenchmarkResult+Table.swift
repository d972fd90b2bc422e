import Foundation

extension BenchmarkResult {
    /// The result for people: a heading, one Markdown table with PASS/FAIL per target, and the details
    /// needed to trust it (rounds, clean-path counters, alignment, files).
    var table: String {
        var table = MarkdownTable([
            ("measure", .left), ("bare codec (limit)", .right), ("pipeline", .right), ("ratio / diff", .right),
            ("target", .left), ("result", .left),
        ])
        func verdict(_ passed: Bool) -> String { passed ? "PASS" : "**FAIL**" }
        table.add(
            "speed: real-time factor (wall clock)", format("%.1fx", bare.realTimeFactor),
            format("%.1fx", pipeline.realTimeFactor), format("%.3f", speedRatio.value), speedRatio.target,
            verdict(speedRatio.passed))
        table.add(
            "speed: real-time factor (CPU time)", format("%.1fx", bare.cpuRealTimeFactor),
            format("%.1fx", pipeline.cpuRealTimeFactor), format("%.3f", cpuSpeedRatio), "(info)", "")
        table.add(
            "wall time per run, s", format("%.3f", bare.medianWallSeconds), format("%.3f", pipeline.medianWallSeconds),
            "", "", "")
        table.add(
            "CPU time per run, s", format("%.3f", bare.medianCPUSeconds), format("%.3f", pipeline.medianCPUSeconds),
            "", "", "")
        table.add(
            "PESQ-WB vs original (median of \(barePESQ.scored))", format("%.3f", barePESQ.median ?? 0),
            format("%.3f", pipelinePESQ.median ?? 0), format("%+.3f", pesqDifference.value), pesqDifference.target,
            verdict(pesqDifference.passed))
        table.add(
            "PESQ-WB vs original (mean)", format("%.3f", barePESQ.mean ?? 0), format("%.3f", pipelinePESQ.mean ?? 0),
            format("%+.3f", (pipelinePESQ.mean ?? 0) - (barePESQ.mean ?? 0)), "(info)", "")
        table.add(
            "pipeline output vs bare output", "", sampleComparisonText, "", "(info)", "")

        let frames = pipelineReport.frames
        let lines = [
            "## hopline-bench: `loopback --fast` against bare libopus, same run",
            "",
            format(
                "%.2f s of speech (%d file(s) in %@), 48 kHz mono; Opus %d kbit/s, %d ms frames, complexity %d, "
                    + "FEC %@ (%d %% expected loss), DTX %@; jitter target %.0f ms; median of %d rounds.",
                audioSeconds, speechFiles, speechDirectory, codec.bitrate / 1000, codec.frameMilliseconds,
                codec.complexity, codec.forwardErrorCorrection ? "on" : "off", codec.expectedLossPercent,
                codec.discontinuousTransmission ? "on" : "off", jitterTargetMs, bare.rounds.count),
            "",
            table.text,
            "",
            "Overall: " + (passed ? "PASS" : "**FAIL** (see the rows marked FAIL)"),
            "",
            "- rounds, wall s: bare " + roundList(bare.rounds) + "; pipeline " + roundList(pipeline.rounds),
            format(
                "- pipeline path: %d frames encoded, %d sent, %d decoded, %d concealed, %d lost, %d late; "
                    + "end-to-end latency mean %.1f ms",
                frames.encoded, frames.sent, frames.decoded, frames.concealed, frames.lost, frames.late,
                pipelineReport.endToEndLatencyMs.mean),
            format(
                "- PESQ alignment found: bare %.2f ms (correlation %.4f), pipeline %.2f ms (correlation %.4f); "
                    + "segments not scored: %d, %d",
                barePESQ.lagMs, barePESQ.correlation, pipelinePESQ.lagMs, pipelinePESQ.correlation, barePESQ.failed,
                pipelinePESQ.failed),
            "- files: \(files.original), \(files.bare), \(files.pipeline)",
        ]
        return lines.joined(separator: "\n")
    }

    private var sampleComparisonText: String {
        if outputComparison.differingSamples == 0 { return "bit-identical" }
        return format(
            "%d samples differ, max %.2g", outputComparison.differingSamples, outputComparison.maximumDifference)
    }

    private func roundList(_ rounds: [Cost]) -> String {
        rounds.map { format("%.3f", $0.wallSeconds) }.joined(separator: " ")
    }

    private func format(_ template: String, _ arguments: any CVarArg...) -> String {
        String(format: template, arguments: arguments)
    }
}
