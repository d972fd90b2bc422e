internal import Atomics

#if canImport(Glibc)
internal import Glibc
#endif

/// The latest moment a device callback ran, on `CLOCK_MONOTONIC` (the node's clock), with the total frames the
/// device had moved by then: the points a `ClockRateEstimator` fits the device's real sample rate to.
///
/// A seqlock of three atomics: the callback (the one writer) never waits; a reader retries while a write is
/// in progress. Stamping the callback itself (not the reader's wake-up) keeps the reader's scheduling out
/// of the rate estimate. A plain value of pointers, like `SampleRingCore`: safe in a real-time callback.
struct DeviceClockStamp {
    let sequence: UnsafeAtomic<Int>
    let nanoseconds: UnsafeAtomic<Int>
    let frames: UnsafeAtomic<Int>

    static func create() -> DeviceClockStamp {
        DeviceClockStamp(sequence: .create(0), nanoseconds: .create(0), frames: .create(0))
    }

    func destroy() {
        for atomic in [sequence, nanoseconds, frames] { _ = atomic.destroy() }
    }

    /// Callback only: the device has moved `count` more frames by now. No allocation, no lock, no system call
    /// (`clock_gettime` of `CLOCK_MONOTONIC` is served by the vDSO).
    @inline(__always)
    func record(adding count: Int) {
        let total = frames.load(ordering: .relaxed) &+ count
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        let begin = sequence.load(ordering: .relaxed) &+ 1
        sequence.store(begin, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        nanoseconds.store(Int(spec.tv_sec) * 1_000_000_000 + Int(spec.tv_nsec), ordering: .relaxed)
        frames.store(total, ordering: .relaxed)
        sequence.store(begin &+ 1, ordering: .releasing)
    }

    /// The latest stamp, or nil before the first callback (or if 64 attempts all met a write in progress).
    func read() -> DeviceClockPoint? {
        for _ in 0..<64 {
            let before = sequence.load(ordering: .acquiring)
            guard before & 1 == 0 else { continue }
            let time = nanoseconds.load(ordering: .relaxed)
            let total = frames.load(ordering: .relaxed)
            atomicMemoryFence(ordering: .acquiring)
            guard sequence.load(ordering: .relaxed) == before else { continue }
            return before == 0 ? nil : DeviceClockPoint(seconds: Double(time) / 1e9, frames: total)
        }
        return nil
    }
}

/// A device's progress at one moment: `frames` moved in total by `seconds` on the node's monotonic clock.
public struct DeviceClockPoint: Sendable, Equatable {
    public var seconds: Double
    public var frames: Int

    public init(seconds: Double, frames: Int) {
        self.seconds = seconds
        self.frames = frames
    }
}
