import HoplineCore

/// Builds the jitter buffer a receiver uses from the configured mode, for the loopback lab and for calls alike.
enum JitterBufferChoice {
    static func make(
        mode: LoopbackOptions.JitterBufferMode, targetMilliseconds: Double, playoutPeriodMilliseconds: Int,
        recordsTimeline: Bool = false
    ) -> any JitterBuffer {
        switch mode {
        case .fixed:
            return FixedDelayJitterBuffer(targetDelayMilliseconds: targetMilliseconds)
        case .adaptive:
            var configuration = AdaptiveJitterBuffer.Configuration()
            configuration.initialTargetMilliseconds = targetMilliseconds
            configuration.safetyMarginMilliseconds = Double(playoutPeriodMilliseconds)
            configuration.recordsTimeline = recordsTimeline
            return AdaptiveJitterBuffer(configuration: configuration)
        }
    }
}
