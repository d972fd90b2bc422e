/// Mono audio as 32-bit float samples at one sample rate: what `WAVReader` returns, `WAVWriter` stores and
/// `Resampler.resample` converts. Samples are nominally in -1...1; nothing here clips them.
///
/// A plain value type: copying it copies (lazily) the sample array, so it is safe to pass between tasks.
public struct PCMAudio: Sendable, Equatable {
    /// Samples per second (Hz).
    public var sampleRate: Int
    /// The samples, oldest first.
    public var samples: [Float]

    public init(sampleRate: Int, samples: [Float]) {
        self.sampleRate = sampleRate
        self.samples = samples
    }

    /// Length in seconds: `samples.count / sampleRate`, or 0 when the rate is not positive.
    public var duration: Double {
        sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0
    }
}
