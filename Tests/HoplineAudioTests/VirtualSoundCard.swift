import Foundation
import HoplineAudio
import HoplineTestSupport

/// A sound card model on a virtual clock for the drift tests: one clock drives both directions at
/// `sampleRate * (1 + ppm / 1e6)` frames per second of the node's clock, in callbacks of `period` frames, each
/// stamped with up to `jitterSeconds` of seeded lateness (a real callback's scheduling); each callback takes
/// `period` frames from the playback ring (counting an underrun when it is short) and puts `period` frames of
/// a 440 Hz tone into the capture ring (counting an overrun when it is full).
final class VirtualSoundCard: LiveAudioDevice {
    let sampleRate = 48_000
    let captureRing: SampleRingBuffer
    let playbackRing: SampleRingBuffer
    let inputLatency = 0.010
    let outputLatency = 0.010
    private(set) var captureClock: DeviceClockPoint?
    private(set) var playbackClock: DeviceClockPoint?
    private(set) var playbackUnderruns = 0
    private(set) var callbacks = 0

    let ppm: Double
    let period: Int
    private let jitterSeconds: Double
    private var generator: SeededGenerator
    private var framesMoved = 0
    private var buffer: [Float]
    private var toneIndex = 0
    /// One second of the tone, computed once (the hour-long tests call back 360 000 times).
    private let tone: [Float] = (0..<48_000).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 48_000)) }

    init(ppm: Double, period: Int = 480, jitterSeconds: Double = 0.002, seed: UInt64 = 9) throws {
        self.ppm = ppm
        self.period = period
        self.jitterSeconds = jitterSeconds
        generator = SeededGenerator(seed: seed)
        captureRing = try SampleRingBuffer(minimumCapacity: 8_192)
        playbackRing = try SampleRingBuffer(minimumCapacity: 8_192)
        buffer = [Float](repeating: 0, count: period)
    }

    /// When callback `index` runs on the node's clock (s): the device's own clock, fast or slow by `ppm`.
    private func callbackTime(_ index: Int) -> Double {
        Double((index + 1) * period) / (Double(sampleRate) * (1 + ppm / 1e6))
    }

    /// Runs every callback due by `time` (node seconds).
    func advance(to time: Double) {
        while callbackTime(callbacks) <= time {
            let stamp = callbackTime(callbacks) + Double.random(in: 0...jitterSeconds, using: &generator)
            let taken = buffer.withUnsafeMutableBufferPointer { playbackRing.read(into: $0) }
            if taken < period { playbackUnderruns += 1 }
            tone.withUnsafeBufferPointer { tone in
                _ = captureRing.write(UnsafeBufferPointer(rebasing: tone[toneIndex..<(toneIndex + period)]))
            }
            toneIndex = (toneIndex + period) % (tone.count - period)
            framesMoved += period
            callbacks += 1
            captureClock = DeviceClockPoint(seconds: stamp, frames: framesMoved)
            playbackClock = DeviceClockPoint(seconds: stamp, frames: framesMoved)
        }
    }
}
