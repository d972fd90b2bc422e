import Foundation

extension LoopbackReport {
    /// The report for people: one labelled line per field, units spelt out.
    public var text: String {
        func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
        func pct(_ value: Double) -> String { String(format: "%.2f %%", value) }
        func summary(_ s: Summary) -> String { "mean \(ms(s.mean)), p95 \(ms(s.p95)), max \(ms(s.max))" }
        var lines: [String] = []
        if let inputFile { lines.append("input            \(inputFile) (\(String(format: "%.2f", audioSeconds)) s)") }
        if let outputFile { lines.append("output           \(outputFile)") }
        lines.append(
            "codec            Opus \(codec.bitrate / 1000) kbit/s, \(codec.frameMs) ms frames, complexity \(codec.complexity), "
                + "FEC \(codec.fec ? "on" : "off"), DTX \(codec.dtx ? "on" : "off")")
        let buffer = codec.jitterBuffer == "fixed" ? "fixed \(ms(codec.jitterTargetMs))" : "adaptive (starts at \(ms(codec.jitterTargetMs)))"
        lines.append("pacing           \(pacing), jitter buffer \(buffer)")
        lines.append("network          \(network.impairment) (\(network.dropped) dropped, \(network.duplicated) duplicated)")
        lines.append(
            "frames sent      \(frames.sent) packets (\(frames.encoded) frames encoded, \(frames.dtxSuppressed) left unsent by DTX)")
        lines.append(
            "frames received  \(frames.received) (late \(frames.late), lost \(frames.lost), duplicates \(frames.duplicates), malformed \(frames.malformed))")
        lines.append(
            "playout          \(frames.decoded) decoded, \(frames.fecRecovered) FEC-recovered, \(frames.concealed) concealed, "
                + "\(frames.comfortNoise) comfort noise, \(frames.accelerated) accelerated, \(frames.preemptiveExpanded) expanded")
        lines.append(
            "quality          late loss \(pct(quality.lateLossPercent)), FEC-recovered \(pct(quality.fecRecoveredPercent)), "
                + "concealed \(pct(quality.concealedPercent)), stretch \(ms(quality.stretchMs)), E-model MOS \(String(format: "%.2f", quality.meanOpinionScore))")
        lines.append("jitter buffer    \(summary(jitterBufferDelayMs))")
        lines.append("end-to-end       \(summary(endToEndLatencyMs))")
        let rtt = rtcp.roundTripMs.map { ", RTT \(ms($0))" } ?? ""
        lines.append(
            "rtcp             \(rtcp.receiverReports) receiver reports, \(rtcp.adaptations) encoder adaptations\(rtt); "
                + "final expected loss \(rtcp.finalExpectedLossPercent) %, bitrate \(rtcp.finalBitrate / 1000) kbit/s")
        lines.append(
            "bitrate          \(String(format: "%.1f", bitrate.payloadKbps)) kbit/s payload, \(String(format: "%.1f", bitrate.onWireKbps)) kbit/s on the wire")
        lines.append(
            "red              "
                + (red.negotiated
                    ? "\(red.packetsSent) packets, \(red.overheadBytes) bytes of redundancy (\(String(format: "%.1f", red.overheadKbps)) kbit/s, "
                        + "\(pct(red.overheadPercent)) of payload), \(red.framesRecovered) frames recovered (\(red.burstFramesRecovered) "
                        + "from two packets later), \(red.copiesLate) copies late, final distance \(red.finalDistance)"
                    : "not negotiated"))
        lines.append(
            "cpu              \(String(format: "%.3f", cpu.cpuSeconds)) s CPU in \(String(format: "%.3f", cpu.wallSeconds)) s wall "
                + "(\(String(format: "%.1f", cpu.realTimeFactor))x real time, \(String(format: "%.2f", cpu.coreFraction * 100)) % of a core)")
        return lines.joined(separator: "\n")
    }

    /// The report as one JSON object with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
