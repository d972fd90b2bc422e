import HoplineNode

/// What one timed run cost: wall-clock seconds and the process's CPU seconds (user + system, all threads).
struct Cost: Sendable, Codable {
    var wallSeconds: Double
    var cpuSeconds: Double

    /// Runs `body` once and measures it.
    static func measure<Result>(_ body: () throws -> Result) rethrows -> (Result, Cost) {
        let cpuStart = ProcessCPUTime.seconds()
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        let elapsed = start.duration(to: clock.now)
        let cpuSeconds = ProcessCPUTime.seconds() - cpuStart
        let wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (result, Cost(wallSeconds: wallSeconds, cpuSeconds: cpuSeconds))
    }
}
