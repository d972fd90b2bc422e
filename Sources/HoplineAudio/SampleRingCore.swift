internal import Atomics

/// The raw parts of a `SampleRingBuffer`: a power-of-two sample array and two monotonically increasing
/// positions. A plain value of pointers with no reference counting, so a real-time audio callback can hold a
/// copy and call `write` / `read` without retain, release, allocation or locks.
///
/// `writePosition` is stored only by the producer and `readPosition` only by the consumer; each side loads
/// the other's position with acquiring ordering and publishes its own with releasing ordering, so the samples
/// copied before a store are visible to the other side once it sees the new position. Positions count samples
/// since creation and never wrap in practice (2^63 samples at 48 kHz is millions of years); the slot of a
/// position is `position & mask`.
///
/// The owner (`SampleRingBuffer`) allocates it with `allocate(capacity:)` and frees it with `deallocate()`
/// once no thread can touch it any more.
struct SampleRingCore {
    let storage: UnsafeMutablePointer<Float>
    let capacity: Int
    let mask: Int
    let writePosition: UnsafeAtomic<Int>
    let readPosition: UnsafeAtomic<Int>
    /// Producer only: `write` calls that could not store every sample.
    let overruns: UnsafeAtomic<Int>
    /// Producer only: samples those calls dropped.
    let droppedSamples: UnsafeAtomic<Int>

    /// `capacity` must be a power of two of at least 2 (checked by the owner).
    static func allocate(capacity: Int) -> SampleRingCore {
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
        return SampleRingCore(
            storage: storage, capacity: capacity, mask: capacity - 1, writePosition: .create(0),
            readPosition: .create(0), overruns: .create(0), droppedSamples: .create(0))
    }

    func deallocate() {
        storage.deinitialize(count: capacity)
        storage.deallocate()
        for atomic in [writePosition, readPosition, overruns, droppedSamples] { _ = atomic.destroy() }
    }

    /// Producer side. Copies as many leading samples of `source` as there is room for; counts an overrun and
    /// the dropped samples when that is not all of them. Returns the number copied.
    @inline(__always)
    func write(_ source: UnsafeBufferPointer<Float>) -> Int {
        guard let base = source.baseAddress, !source.isEmpty else { return 0 }
        let write = writePosition.load(ordering: .relaxed)
        let read = readPosition.load(ordering: .acquiring)
        let count = min(source.count, capacity - (write - read))
        if count > 0 {
            let start = write & mask
            let first = min(count, capacity - start)
            (storage + start).update(from: base, count: first)
            if count > first { storage.update(from: base + first, count: count - first) }
            writePosition.store(write + count, ordering: .releasing)
        }
        if count < source.count {
            overruns.wrappingIncrement(ordering: .relaxed)
            droppedSamples.wrappingIncrement(by: source.count - count, ordering: .relaxed)
        }
        return count
    }

    /// Consumer side. Moves up to `destination.count` of the oldest samples into the front of `destination`
    /// and returns how many; the rest of `destination` is left untouched.
    @inline(__always)
    func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let base = destination.baseAddress, !destination.isEmpty else { return 0 }
        let read = readPosition.load(ordering: .relaxed)
        let write = writePosition.load(ordering: .acquiring)
        let count = min(destination.count, write - read)
        guard count > 0 else { return 0 }
        let start = read & mask
        let first = min(count, capacity - start)
        base.update(from: storage + start, count: first)
        if count > first { (base + first).update(from: storage, count: count - first) }
        readPosition.store(read + count, ordering: .releasing)
        return count
    }

    /// Consumer side: drops every sample available now and returns how many.
    func discardAvailable() -> Int {
        let read = readPosition.load(ordering: .relaxed)
        let write = writePosition.load(ordering: .acquiring)
        readPosition.store(write, ordering: .releasing)
        return write - read
    }

    /// Samples stored and not yet read. Exact for the consumer; from another thread a snapshot that may
    /// already be out of date.
    var availableToRead: Int {
        let read = readPosition.load(ordering: .acquiring)
        let write = writePosition.load(ordering: .acquiring)
        return max(0, min(capacity, write - read))
    }
}
