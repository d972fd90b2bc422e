/// A named impairment spec (`wifi`, `loss3`, ...): a shorthand for the command line and the quality matrix.
/// Its exact parameters are `spec.description`; a spec text may start with a preset name and override any of
/// its keys (`wifi,seed=3`).
public struct ImpairmentPreset: Sendable, Equatable {
    public let name: String
    /// One line on what the preset stands for.
    public let summary: String
    public let spec: ImpairmentSpec

    public init(name: String, summary: String, spec: ImpairmentSpec) {
        self.name = name
        self.summary = summary
        self.spec = spec
    }
}

extension ImpairmentSpec {
    /// Every preset, in the order `--help` lists them. Loss figures are long-run rates.
    public static let presets: [ImpairmentPreset] = [
        ImpairmentPreset(name: "clean", summary: "a perfect network", spec: .clean),
        ImpairmentPreset(
            name: "wifi",
            summary: "home Wi-Fi: light loss, short heavy-tailed queueing in order, a 150 ms scan stall every 10 s",
            spec: ImpairmentSpec(
                lossPercent: 1, delayMilliseconds: 10, jitterMilliseconds: 8, jitterDistribution: .pareto,
                reordering: false, stall: Stall(durationMilliseconds: 150, periodMilliseconds: 10_000))),
        ImpairmentPreset(
            name: "congested",
            summary: "a congested bottleneck: tail-drop bursts (7.4% loss, mean burst 4), a swelling FIFO queue",
            spec: ImpairmentSpec(
                burstLoss: BurstLoss(p: 0.02, r: 0.25), delayMilliseconds: 60, jitterMilliseconds: 20,
                jitterDistribution: .pareto, reordering: false)),
        ImpairmentPreset(
            name: "mobile",
            summary: "cellular: ~4.2% loss partly in bursts, heavy-tailed jitter that reorders, duplicates, a 300 ms handover every 8 s",
            spec: ImpairmentSpec(
                lossPercent: 1, burstLoss: BurstLoss(p: 0.01, r: 0.3), delayMilliseconds: 80,
                jitterMilliseconds: 25, jitterDistribution: .pareto, duplicatePercent: 0.5,
                stall: Stall(durationMilliseconds: 300, periodMilliseconds: 8_000))),
        ImpairmentPreset(name: "loss3", summary: "3% independent loss", spec: ImpairmentSpec(lossPercent: 3)),
        ImpairmentPreset(name: "loss10", summary: "10% independent loss", spec: ImpairmentSpec(lossPercent: 10)),
        ImpairmentPreset(
            name: "burst", summary: "burst loss: 4.8% in bursts of mean 5 packets",
            spec: ImpairmentSpec(burstLoss: BurstLoss(p: 0.01, r: 0.2))),
        ImpairmentPreset(
            name: "jitter30", summary: "normal jitter, standard deviation 30 ms around 90 ms (reorders)",
            spec: ImpairmentSpec(delayMilliseconds: 90, jitterMilliseconds: 30)),
        ImpairmentPreset(
            name: "jitter60loss5", summary: "normal jitter, standard deviation 60 ms around 180 ms, and 5% loss",
            spec: ImpairmentSpec(lossPercent: 5, delayMilliseconds: 180, jitterMilliseconds: 60)),
        ImpairmentPreset(
            name: "pareto30", summary: "heavy-tailed jitter: 40 ms plus a Pareto delay of mean 30 ms (reorders)",
            spec: ImpairmentSpec(delayMilliseconds: 40, jitterMilliseconds: 30, jitterDistribution: .pareto)),
        ImpairmentPreset(
            name: "stall", summary: "a 300 ms stall every 5 s, nothing else",
            spec: ImpairmentSpec(stall: Stall(durationMilliseconds: 300, periodMilliseconds: 5_000))),
        ImpairmentPreset(
            name: "skew500", summary: "the sender's timeline stretched by 500 ppm (0.5 ms a second)",
            spec: ImpairmentSpec(skewPartsPerMillion: 500)),
    ]

    /// The preset called `name`, or nil.
    public static func preset(named name: String) -> ImpairmentPreset? {
        presets.first { $0.name == name }
    }
}
