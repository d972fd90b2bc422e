extension ImpairmentSpec: CustomStringConvertible {
    /// The canonical text of this spec: only the settings that differ from a clean network, in the grammar's
    /// key order (`loss=5%,delay=90ms,jitter=30ms,seed=7`), or `clean` when nothing differs. Parsing it gives
    /// back an equal spec.
    public var description: String {
        var items: [String] = []
        if lossPercent != 0 { items.append("loss=\(impairmentNumber(lossPercent))%") }
        if let burstLoss {
            var fields = [burstLoss.p, burstLoss.r]
            if burstLoss.lossInBad != 1 || burstLoss.lossInGood != 0 { fields.append(burstLoss.lossInBad) }
            if burstLoss.lossInGood != 0 { fields.append(burstLoss.lossInGood) }
            items.append("burst=" + fields.map(impairmentNumber).joined(separator: "/"))
        }
        if delayMilliseconds != 0 { items.append("delay=\(impairmentNumber(delayMilliseconds))ms") }
        if jitterMilliseconds != 0 { items.append("jitter=\(impairmentNumber(jitterMilliseconds))ms") }
        if jitterDistribution != .normal { items.append("jitter-dist=\(jitterDistribution.rawValue)") }
        if !reordering { items.append("reorder=off") }
        if duplicatePercent != 0 { items.append("dup=\(impairmentNumber(duplicatePercent))%") }
        if let stall {
            items.append("stall=\(impairmentDuration(stall.durationMilliseconds))/\(impairmentDuration(stall.periodMilliseconds))")
        }
        if skewPartsPerMillion != 0 { items.append("skew=\(impairmentNumber(skewPartsPerMillion))ppm") }
        if items.isEmpty { items.append("clean") }
        if seed != ImpairmentSpec.defaultSeed { items.append("seed=\(seed)") }
        return items.joined(separator: ",")
    }
}

/// `5s` for whole seconds, otherwise `300ms`.
private func impairmentDuration(_ milliseconds: Double) -> String {
    let seconds = milliseconds / 1_000
    if milliseconds >= 1_000, seconds == seconds.rounded() { return "\(impairmentNumber(seconds))s" }
    return "\(impairmentNumber(milliseconds))ms"
}
