import HoplineCore

/// One reading of the relay's two clocks: a monotonic instant for timers, buckets and cookie epochs, and
/// wall-clock unix seconds for token expiries (tokens outlive a process's monotonic origin).
public struct RelayInstant: Equatable, Sendable {
    public var monotonic: ClockInstant
    public var unixSeconds: UInt32

    public init(monotonic: ClockInstant, unixSeconds: UInt32) {
        self.monotonic = monotonic
        self.unixSeconds = unixSeconds
    }

    /// The same instant `milliseconds` later on both clocks (for virtual clocks in tests).
    public func advanced(byMilliseconds milliseconds: Double) -> RelayInstant {
        let monotonic = self.monotonic.advanced(byMilliseconds: milliseconds)
        let start = Double(self.monotonic.nanoseconds) / 1e9
        let seconds = (Double(monotonic.nanoseconds) / 1e9).rounded(.down) - start.rounded(.down)
        return RelayInstant(monotonic: monotonic, unixSeconds: unixSeconds &+ UInt32(max(0, seconds)))
    }
}
