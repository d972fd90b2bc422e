/// What an `ImpairmentModel` has done so far: packets judged, lost (random or burst) and duplicated.
public struct ImpairmentCounters: Sendable, Equatable {
    public var packets = 0
    public var lost = 0
    public var duplicated = 0

    public init() {}
}
