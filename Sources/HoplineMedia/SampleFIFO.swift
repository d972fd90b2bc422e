/// A growable first-in first-out queue of audio samples between decoding (whole Opus frames) and playout
/// (fixed-size output chunks). Storage is reserved up front and reused, so steady-state use does not allocate.
///
/// Not thread-safe, and not for the real-time callback: the live path hands chunks on through a lock-free ring.
public struct SampleFIFO: Sendable {
    private var storage: [Float]
    private var head = 0

    public init(reservedCapacity: Int = 48_000) {
        storage = []
        storage.reserveCapacity(reservedCapacity)
    }

    public var count: Int { storage.count - head }

    public mutating func append(_ samples: UnsafeBufferPointer<Float>) {
        if head > 0 && head >= storage.count / 2 {
            storage.removeSubrange(0..<head)
            head = 0
        }
        storage.append(contentsOf: samples)
    }

    /// Moves `output.count` samples into `output`; the caller checks `count` first.
    public mutating func pop(into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count <= count, "SampleFIFO underflow")
        for index in 0..<output.count { output[index] = storage[head + index] }
        head += output.count
    }
}
