/// Parses the values of the impairment grammar (percentages, durations, ppm, burst and stall pairs), each
/// failure an `ImpairmentSpecError.invalidValue` that names the key, the value and what was expected.
enum ImpairmentValueParser {
    /// `5%` or `5`, 0...100.
    static func percent(_ value: String, key: String) throws(ImpairmentSpecError) -> Double {
        let expected = "a percentage from 0 to 100, e.g. \(key)=5%"
        guard let number = finiteNumber(value.hasSuffix("%") ? String(value.dropLast()) : value),
            (0...100).contains(number)
        else { throw .invalidValue(key: key, value: value, expected: expected) }
        return number
    }

    /// `90ms`, `1.5s`, `500us`, or a bare number of ms; within `range` ms.
    static func milliseconds(
        _ value: String, key: String, range: ClosedRange<Double>
    ) throws(ImpairmentSpecError) -> Double {
        let expected = "a duration from \(impairmentNumber(range.lowerBound)) to \(impairmentNumber(range.upperBound)) ms, e.g. \(key)=30ms (units us, ms, s)"
        guard let number = duration(value), range.contains(number) else {
            throw .invalidValue(key: key, value: value, expected: expected)
        }
        return number
    }

    /// `-500ppm` or `-500`, -100000...100000.
    static func partsPerMillion(_ value: String, key: String) throws(ImpairmentSpecError) -> Double {
        let text = value.hasSuffix("ppm") ? String(value.dropLast(3)) : value
        guard let number = finiteNumber(text.hasPrefix("+") ? String(text.dropFirst()) : text),
            (-100_000...100_000).contains(number)
        else {
            throw .invalidValue(key: key, value: value, expected: "parts per million from -100000 to 100000, e.g. skew=-500ppm")
        }
        return number
    }

    /// `p/r`, `p/r/h` or `p/r/h/k`: probabilities 0...1 or percentages with `%`; r must be above 0.
    static func burst(_ value: String, key: String) throws(ImpairmentSpecError) -> ImpairmentSpec.BurstLoss {
        let expected = "p/r[/h[/k]] with probabilities 0-1 (or percentages like 5%) and r > 0, e.g. burst=0.05/0.5"
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...4).contains(parts.count) else { throw .invalidValue(key: key, value: value, expected: expected) }
        var numbers: [Double] = []
        for part in parts {
            let number: Double?
            if part.hasSuffix("%") {
                number = finiteNumber(String(part.dropLast())).map { $0 / 100 }
            } else {
                number = finiteNumber(part)
            }
            guard let number, (0...1).contains(number) else {
                throw .invalidValue(key: key, value: value, expected: expected)
            }
            numbers.append(number)
        }
        guard numbers[1] > 0 else { throw .invalidValue(key: key, value: value, expected: expected) }
        return ImpairmentSpec.BurstLoss(
            p: numbers[0], r: numbers[1],
            lossInBad: numbers.count > 2 ? numbers[2] : 1,
            lossInGood: numbers.count > 3 ? numbers[3] : 0)
    }

    /// `DURATION/PERIOD`, e.g. `300ms/5s`: 0 < duration < period <= 1 hour.
    static func stall(_ value: String, key: String) throws(ImpairmentSpecError) -> ImpairmentSpec.Stall {
        let expected = "DURATION/PERIOD with 0 < DURATION < PERIOD <= 3600s, e.g. stall=300ms/5s"
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let length = duration(parts[0]), let period = duration(parts[1]),
            length > 0, length < period, period <= 3_600_000
        else { throw .invalidValue(key: key, value: value, expected: expected) }
        return ImpairmentSpec.Stall(durationMilliseconds: length, periodMilliseconds: period)
    }

    /// A non-negative duration in ms from `12.5ms`, `2s`, `500us` or a bare number of ms; nil if malformed.
    static func duration(_ text: String) -> Double? {
        let units: [(suffix: String, milliseconds: Double)] = [("us", 0.001), ("ms", 1), ("s", 1_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let number = finiteNumber(String(text.dropLast(unit.suffix.count))), number >= 0 else { return nil }
            return number * unit.milliseconds
        }
        guard let number = finiteNumber(text), number >= 0 else { return nil }
        return number
    }

    /// A finite decimal number, or nil (rejects `nan`, `inf` and the empty string).
    static func finiteNumber(_ text: String) -> Double? {
        guard let number = Double(text), number.isFinite else { return nil }
        return number
    }
}

/// Renders a number as the grammar writes it: integers without a decimal point (`5`, not `5.0`), others in
/// the shortest form that reads back as the same Double (`0.05`).
func impairmentNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}
