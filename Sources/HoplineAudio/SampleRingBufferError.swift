/// Why a `SampleRingBuffer` could not be made.
public enum SampleRingBufferError: Error, Equatable, CustomStringConvertible {
    /// The requested capacity, in samples, was below 1 or above `SampleRingBuffer.maximumCapacity`.
    case capacityOutOfRange(requested: Int, maximum: Int)

    public var description: String {
        switch self {
        case .capacityOutOfRange(let requested, let maximum):
            return "sample ring capacity \(requested) is out of range (expected 1...\(maximum) samples)"
        }
    }
}
