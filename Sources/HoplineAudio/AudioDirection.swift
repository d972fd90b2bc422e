/// Whether a device or stream records (`input`: a microphone) or plays (`output`: a speaker).
public enum AudioDirection: String, Sendable, Equatable, CustomStringConvertible {
    case input
    case output

    public var description: String { rawValue }
}
