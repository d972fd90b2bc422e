import HoplineCore
import HoplineMedia

/// Puts a loopback run's rendered stream back on the input's timeline, and measures end-to-end latency.
enum LoopbackAlignment {
    /// The rendered stream cut to the input's timeline: shifted by the playout start and the codec
    /// look-ahead, zero-padded where nothing was played, exactly `length` samples. (Time-stretching moves
    /// later audio by the net stretch; the report states how much.)
    static func output(stream: [Float], start: Int64?, lookahead: Int, length: Int) -> [Float] {
        guard let start else { return [Float](repeating: 0, count: length) }
        let offset = Int(start) + lookahead
        return (0..<length).map { index in
            let source = offset + index
            return source >= 0 && source < stream.count ? stream[source] : 0
        }
    }

    /// For each played packet: from the capture of its first sample to that sample leaving the decoder's
    /// look-ahead, i.e. frame duration + network + buffer + codec delay, in milliseconds. With a simulated
    /// sender clock skew, capture happens on the sender's (skewed) timeline, as it would in a real call.
    static func endToEndLatency(
        _ log: [PlayoutEvent], initialTimestamp: UInt32, origin: ClockInstant, lookahead: Int, senderClockSkewPPM: Double = 0
    ) -> DelaySummary {
        var summary = DelaySummary()
        let scale = 1 + senderClockSkewPPM / 1_000_000
        for event in log {
            let inputIndex = Int64(event.rtpTimestamp &- initialTimestamp)
            let captured = origin.advanced(byNanoseconds: Int64(Double(inputIndex) * 1_000_000_000 / 48_000 * scale))
            summary.add(event.playoutStart.milliseconds(since: captured) + Double(lookahead) / 48)
        }
        return summary
    }
}
