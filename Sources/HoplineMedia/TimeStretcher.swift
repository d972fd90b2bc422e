/// Changes the length of decoded speech by whole pitch periods without changing its pitch (WSOLA-style
/// overlap-add): `accelerate` removes one period, `expand` repeats one. The cut or repeated segment is
/// joined with a raised-cosine crossfade at the lag where the signal best matches itself, so there is no
/// click. Unvoiced or silent frames (no good match) are stretched at the longest lag: with no periodicity
/// to break, nothing audible is lost.
///
/// Works in place on a caller-owned buffer; allocates nothing. Not thread-safe: one owner.
public struct TimeStretcher: Sendable {
    /// Shortest and longest pitch period searched: 2.5 ms (400 Hz) to 15 ms (67 Hz) at 48 kHz.
    public static let minimumLag = 120
    public static let maximumLag = 720
    /// Crossfade length: 5 ms.
    public static let overlap = 240
    /// Below this normalised correlation a voiced frame is left alone (a stretch would sound rough).
    public static let minimumCorrelation: Float = 0.6
    /// Below this mean square the frame counts as silence and any lag will do.
    public static let silenceEnergy: Float = 1e-6

    /// A copy of the frame being expanded (preallocated: the longest Opus frame).
    private var original = [Float](repeating: 0, count: 5_760)

    public init() {}

    /// Removes about one pitch period from `frame[0..<count]`; returns the new length (unchanged when the
    /// frame is too short or too unlike itself to shorten cleanly).
    public func accelerate(_ frame: UnsafeMutableBufferPointer<Float>, count: Int, maximumSamples: Int = maximumLag) -> Int {
        guard let lag = bestLag(frame, count: count, longestLag: maximumSamples) else { return count }
        let overlap = Self.overlap
        // out = x[0..<overlap] fading into x[lag..<lag+overlap], then x[lag+overlap..<count].
        for index in 0..<overlap {
            let weight = fadeIn(index)
            frame[index] = frame[index] * (1 - weight) + frame[lag + index] * weight
        }
        for index in overlap..<(count - lag) { frame[index] = frame[index + lag] }
        return count - lag
    }

    /// Repeats about one pitch period of `frame[0..<count]`; needs capacity for `count + maximumLag`
    /// samples. Returns the new length (unchanged when the frame cannot be lengthened cleanly).
    public mutating func expand(_ frame: UnsafeMutableBufferPointer<Float>, count: Int, maximumSamples: Int = maximumLag) -> Int {
        guard frame.count >= count + Self.maximumLag, count <= original.count,
            let lag = bestLag(frame, count: count, longestLag: maximumSamples)
        else { return count }
        let overlap = Self.overlap
        for index in 0..<count { original[index] = frame[index] }
        // out = x[0..<lag], then x[lag...] fading back into x[0...] (the period plays twice), then x[overlap..<count].
        for index in 0..<overlap {
            let weight = fadeIn(index)
            frame[lag + index] = original[lag + index] * (1 - weight) + original[index] * weight
        }
        for index in overlap..<count { frame[lag + index] = original[index] }
        return count + lag
    }

    /// The lag in `minimumLag...min(maximumLag, longestLag)` where x[0..<overlap] best matches
    /// x[lag..<lag+overlap], or nil when the frame is too short, the allowed lags too short, or voiced speech
    /// does not repeat well enough.
    func bestLag(_ frame: UnsafeMutableBufferPointer<Float>, count: Int, longestLag: Int) -> Int? {
        let overlap = Self.overlap
        let longest = min(Self.maximumLag, longestLag, count - 2 * overlap)
        guard longest >= Self.minimumLag else { return nil }
        var energy: Float = 0
        for index in 0..<overlap { energy += frame[index] * frame[index] }
        if energy / Float(overlap) < Self.silenceEnergy { return longest }
        var best: (lag: Int, score: Float) = (0, -1)
        for lag in Self.minimumLag...longest {
            var cross: Float = 0, other: Float = 0
            for index in 0..<overlap {
                cross += frame[index] * frame[lag + index]
                other += frame[lag + index] * frame[lag + index]
            }
            let score = other > 0 ? cross / (energy * other).squareRoot() : 0
            if score > best.score { best = (lag, score) }
        }
        return best.score >= Self.minimumCorrelation ? best.lag : nil
    }

    private func fadeIn(_ index: Int) -> Float {
        let phase = (Float(index) + 0.5) / Float(Self.overlap)
        return 0.5 - 0.5 * cos(Float.pi * phase)
    }
}

#if canImport(Glibc)
import Glibc
#endif
