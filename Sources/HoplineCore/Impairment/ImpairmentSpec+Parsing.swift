extension ImpairmentSpec {
    /// Parses the impairment grammar: comma-separated items, each `key=value`, optionally led by one preset
    /// name whose settings the later items override (`wifi,seed=3`). Unset keys keep the clean default.
    ///
    /// | key | value | meaning |
    /// | --- | --- | --- |
    /// | `loss` | percent, `5%` (the `%` is optional) | independent random loss |
    /// | `burst` | `p/r[/h[/k]]`: probabilities 0-1 or percentages (`5%/50%`) | Gilbert-Elliott burst loss (`BurstLoss`) |
    /// | `delay` | duration, `90ms` | fixed one-way delay |
    /// | `jitter` | duration, `30ms` | normal: standard deviation; pareto: mean extra delay |
    /// | `jitter-dist` | `normal` or `pareto` | jitter distribution (`JitterDistribution`); default normal |
    /// | `reorder` | `on` or `off` | off keeps FIFO order despite jitter; default on |
    /// | `dup` | percent, `1%` | duplicated packets |
    /// | `stall` | `DURATION/PERIOD`, `300ms/5s` | hold packets for DURATION once every PERIOD (`Stall`) |
    /// | `skew` | ppm, `-500ppm` (the `ppm` is optional) | sender clock skew |
    /// | `seed` | integer 0 to 2^64-1 | pseudo-random seed; default 1 |
    ///
    /// Durations take `us`, `ms` or `s`; a bare number means ms. Presets: see `ImpairmentSpec.presets`.
    /// Every problem is an `ImpairmentSpecError` naming the item, the value and what was expected.
    public init(parsing text: String) throws(ImpairmentSpecError) {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard items.contains(where: { !$0.isEmpty }) else { throw .empty }
        var spec = ImpairmentSpec.clean
        var seen: Set<String> = []
        for (position, item) in items.enumerated() {
            guard !item.isEmpty else { throw .emptyItem(spec: text) }
            guard let equals = item.firstIndex(of: "=") else {
                guard let preset = ImpairmentSpec.preset(named: item) else { throw .unknownPreset(item) }
                guard position == 0 else { throw .presetNotFirst(item) }
                spec = preset.spec
                continue
            }
            let key = item[..<equals].trimmingSpaces()
            let value = item[item.index(after: equals)...].trimmingSpaces()
            guard ImpairmentSpec.keys.contains(key) else { throw .unknownKey(key, item: item) }
            guard seen.insert(key).inserted else { throw .repeatedKey(key) }
            try spec.apply(key: key, value: value)
        }
        self = spec
    }

    /// Every key the grammar accepts, in canonical order.
    public static let keys = ["loss", "burst", "delay", "jitter", "jitter-dist", "reorder", "dup", "stall", "skew", "seed"]

    private mutating func apply(key: String, value: String) throws(ImpairmentSpecError) {
        switch key {
        case "loss":
            lossPercent = try ImpairmentValueParser.percent(value, key: key)
        case "burst":
            burstLoss = try ImpairmentValueParser.burst(value, key: key)
        case "delay":
            delayMilliseconds = try ImpairmentValueParser.milliseconds(value, key: key, range: 0...60_000)
        case "jitter":
            jitterMilliseconds = try ImpairmentValueParser.milliseconds(value, key: key, range: 0...10_000)
        case "jitter-dist":
            guard let distribution = JitterDistribution(rawValue: value) else {
                throw .invalidValue(key: key, value: value, expected: "normal or pareto")
            }
            jitterDistribution = distribution
        case "reorder":
            switch value {
            case "on": reordering = true
            case "off": reordering = false
            default: throw .invalidValue(key: key, value: value, expected: "on or off")
            }
        case "dup":
            duplicatePercent = try ImpairmentValueParser.percent(value, key: key)
        case "stall":
            stall = try ImpairmentValueParser.stall(value, key: key)
        case "skew":
            skewPartsPerMillion = try ImpairmentValueParser.partsPerMillion(value, key: key)
        case "seed":
            guard let parsed = UInt64(value) else {
                throw .invalidValue(key: key, value: value, expected: "an integer from 0 to 18446744073709551615")
            }
            seed = parsed
        default:
            throw .unknownKey(key, item: "\(key)=\(value)")
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
