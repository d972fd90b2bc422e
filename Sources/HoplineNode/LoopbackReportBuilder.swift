import HoplineCore
import HoplineMedia

/// Turns the counters of a finished loopback run into a `LoopbackReport`.
struct LoopbackReportBuilder {
    let options: LoopbackOptions

    func report(
        audioSamples: Int, sender: MediaSender, receiver: MediaReceiver, latency: DelaySummary,
        network: LabNetworkCounters, mediaBytesSent: Int, replayed: Int, cpuSeconds: Double, wallSeconds: Double
    ) -> LoopbackReport {
        let audioSeconds = Double(audioSamples) / 48_000
        let jitter = receiver.jitterStatistics
        let counters = receiver.counters
        let sent = sender.statistics
        func summary(_ values: DelaySummary) -> LoopbackReport.Summary {
            LoopbackReport.Summary(mean: values.mean, p95: values.percentile(95), max: values.maximum)
        }
        func percent(_ count: Int, of total: Int) -> Double { total > 0 ? 100 * Double(count) / Double(total) : 0 }
        let frames = LoopbackReport.Frames(
            encoded: sent.framesEncoded, sent: sent.packetsSent, dtxSuppressed: sent.framesSuppressedByDTX,
            received: jitter.inserted, late: jitter.late, lost: max(0, receiver.reception.cumulativeLost),
            // SRTP's replay check drops most second copies before the jitter buffer sees them.
            duplicates: jitter.duplicates + replayed,
            malformed: counters.malformed + counters.unexpectedPayloadType + counters.undecodable + counters.malformedRED,
            concealed: jitter.concealed + counters.fecUnavailable, comfortNoise: jitter.comfortNoise,
            decoded: counters.framesDecoded, fecRecovered: counters.framesRecoveredByFEC, merged: jitter.merged, accelerated: jitter.accelerated,
            preemptiveExpanded: jitter.preemptiveExpanded)
        let concealedPercent = percent(frames.concealed, of: sent.framesEncoded)
        let quality = LoopbackReport.Quality(
            lateLossPercent: percent(jitter.late, of: sent.packetsSent),
            fecRecoveredPercent: percent(frames.fecRecovered, of: sent.framesEncoded),
            concealedPercent: concealedPercent,
            stretchMs: Double(jitter.stretchedSamples) / 48,
            meanOpinionScore: EModel.meanOpinionScore(oneWayDelayMilliseconds: latency.mean, lossPercent: concealedPercent))
        return LoopbackReport(
            audioSeconds: audioSeconds,
            pacing: options.pacing.rawValue,
            codec: .init(
                bitrate: options.codec.bitrate, frameMs: options.codec.frameMilliseconds,
                complexity: options.codec.complexity, fec: options.codec.forwardErrorCorrection,
                dtx: options.codec.discontinuousTransmission, jitterBuffer: options.jitterBuffer.rawValue,
                jitterTargetMs: options.jitterTargetMilliseconds),
            network: .init(
                impairment: options.impairment?.description ?? "none", dropped: network.dropped,
                duplicated: network.duplicated),
            frames: frames,
            quality: quality,
            jitterBufferDelayMs: summary(receiver.bufferDelay),
            endToEndLatencyMs: summary(latency),
            rtcp: .init(
                receiverReports: sent.receiverReports, adaptations: sent.adaptations,
                roundTripMs: sender.adaptation.roundTripMilliseconds,
                finalExpectedLossPercent: sender.adaptation.current.expectedLossPercent,
                finalBitrate: sender.adaptation.current.bitrate),
            bitrate: .init(
                payloadKbps: Double(sent.payloadBytesSent) * 8 / audioSeconds / 1000,
                // The SRTP datagrams as sent (RTP header, payload, SRTP tag) plus IPv4 and UDP headers.
                onWireKbps: Double(mediaBytesSent + sent.packetsSent * 28) * 8 / audioSeconds / 1000),
            red: .init(
                negotiated: options.redundantAudio, packetsSent: sent.redPacketsSent, overheadBytes: sent.redundancyBytesSent,
                overheadKbps: Double(sent.redundancyBytesSent) * 8 / audioSeconds / 1000,
                overheadPercent: percent(sent.redundancyBytesSent, of: sent.payloadBytesSent),
                framesRecovered: jitter.redundantCopiesUsed, burstFramesRecovered: jitter.burstCopiesUsed,
                copiesLate: jitter.redundantCopiesLate, malformed: counters.malformedRED,
                finalDistance: sender.adaptation.redundancyDistance),
            cpu: .init(
                cpuSeconds: cpuSeconds, wallSeconds: wallSeconds,
                realTimeFactor: wallSeconds > 0 ? audioSeconds / wallSeconds : 0,
                coreFraction: cpuSeconds / audioSeconds))
    }
}
