/// What the simulated network does to one packet: it is lost, or arrives once, or arrives twice.
public enum PacketFate: Sendable, Equatable {
    case lost
    case delivered(at: ClockInstant)
    /// Two copies; `first <= second`.
    case duplicated(first: ClockInstant, second: ClockInstant)

    /// The arrival instants, earliest first: none, one or two.
    public var arrivals: [ClockInstant] {
        switch self {
        case .lost: return []
        case .delivered(let at): return [at]
        case .duplicated(let first, let second): return [first, second]
        }
    }

    public var isLost: Bool { self == .lost }
}
