/// Where the loopback lab's input comes from: 48 kHz mono audio of known length, read a block at a time so
/// that a long file never has to be in memory (`WAVLoopbackInput`), or an array (`ArrayLoopbackInput`).
public protocol LoopbackInput: AnyObject {
    /// 48 kHz samples in the whole input.
    var sampleCount: Int { get }
    /// The next at most `maximumSamples` samples; fewer only at the end, empty after it.
    func read(maximumSamples: Int) throws -> [Float]
}

/// Where the loopback lab's output goes: the received audio on the input's timeline (48 kHz mono), handed
/// over in order, exactly `sampleCount` samples of the input in all, then `finish()`.
public protocol LoopbackOutput: AnyObject {
    func write(_ samples: [Float]) throws
    /// Everything was written (a file is renamed into place here).
    func finish() throws
}

/// An input held in memory (tests, `LoopbackLab.run(input:)`).
public final class ArrayLoopbackInput: LoopbackInput {
    private let samples: [Float]
    private var position = 0

    public init(_ samples: [Float]) { self.samples = samples }

    public var sampleCount: Int { samples.count }

    public func read(maximumSamples: Int) throws -> [Float] {
        let end = min(samples.count, position + maximumSamples)
        defer { position = end }
        return Array(samples[position..<end])
    }
}

/// An output collected in memory (tests, `LoopbackLab.run(input:)`).
public final class ArrayLoopbackOutput: LoopbackOutput {
    public private(set) var samples: [Float] = []

    public init() {}

    public func write(_ samples: [Float]) throws { self.samples += samples }
    public func finish() throws {}
}
