/// Which end of a relay session an address is: the caller (who sent ALLOCATE) or the callee.
public enum RelaySide: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case caller = 1
    case callee = 2

    /// The side that receives what this side sends.
    public var other: RelaySide { self == .caller ? .callee : .caller }

    public var description: String { self == .caller ? "caller" : "callee" }
}
