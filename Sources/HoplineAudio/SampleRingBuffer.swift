internal import Atomics

/// A lock-free single-producer single-consumer ring of `Float` samples, the hand-over between a real-time
/// audio callback and the threads that encode and decode.
///
/// **SPSC contract.** At any moment at most one thread may call the producer side (`write`) and at most one
/// thread the consumer side (`read`, `discardAvailable`); the two may run concurrently without any lock.
/// Two concurrent producers or two concurrent consumers corrupt the ring. The counters and `available...`
/// properties may be read from any thread (as snapshots).
///
/// **Real time.** The capacity is allocated once in `init`; `write` and `read` never allocate, lock, or block:
/// they are safe inside a PortAudio callback. A `write` that finds the ring full stores what fits, drops the
/// rest, and counts an overrun; a `read` from an empty ring returns 0.
///
/// It is `@unchecked Sendable` because the SPSC contract above, not the compiler, makes sharing it safe.
public final class SampleRingBuffer: @unchecked Sendable {
    /// The largest capacity accepted, in samples (2^24: about 350 s at 48 kHz).
    public static let maximumCapacity = 1 << 24

    let core: SampleRingCore

    /// A ring holding at least `minimumCapacity` samples, rounded up to a power of two (at least 2).
    public init(minimumCapacity: Int) throws(SampleRingBufferError) {
        guard (1...Self.maximumCapacity).contains(minimumCapacity) else {
            throw .capacityOutOfRange(requested: minimumCapacity, maximum: Self.maximumCapacity)
        }
        var capacity = 2
        while capacity < minimumCapacity { capacity <<= 1 }
        core = SampleRingCore.allocate(capacity: capacity)
    }

    deinit {
        core.deallocate()
    }

    /// How many samples the ring holds when full (a power of two).
    public var capacity: Int { core.capacity }

    /// Producer only. Copies as many leading samples of `samples` as there is room for and returns how many;
    /// when that is fewer than `samples.count` the rest are dropped and one overrun is counted.
    @discardableResult
    public func write(_ samples: UnsafeBufferPointer<Float>) -> Int {
        core.write(samples)
    }

    /// Consumer only. Moves up to `destination.count` of the oldest samples into the front of `destination`
    /// and returns how many; the rest of `destination` is left as it was.
    public func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        core.read(into: destination)
    }

    /// Consumer only. Drops every sample stored now (e.g. stale capture before a call starts); returns how many.
    @discardableResult
    public func discardAvailable() -> Int {
        core.discardAvailable()
    }

    /// Samples waiting to be read: exact for the consumer, a snapshot elsewhere.
    public var availableToRead: Int { core.availableToRead }

    /// Free room for `write`: exact for the producer, a snapshot elsewhere.
    public var availableToWrite: Int { capacity - core.availableToRead }

    /// `write` calls that found too little room and dropped samples.
    public var overrunCount: Int { core.overruns.load(ordering: .relaxed) }

    /// Samples dropped by those calls.
    public var droppedSampleCount: Int { core.droppedSamples.load(ordering: .relaxed) }
}
