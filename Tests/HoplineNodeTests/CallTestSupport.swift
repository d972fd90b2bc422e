import Foundation
import HoplineAudio
import XCTest

/// Helpers for the call tests: running listeners and callers, reading their stats, and checking that a
/// recording holds the audio that was played.
enum CallTestSupport {
    /// The node ID a listener prints in its "listening on ... as ID" line (waits up to `timeout` s: generous,
    /// because a loaded CI machine can take seconds to start a debug binary).
    static func waitForNodeID(_ child: ChildProcess, timeout: TimeInterval = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: child.stderrPath, encoding: .utf8),
                let range = text.range(of: " as hl-")
            {
                let rest = text[range.upperBound...]
                let id = "hl-" + rest.prefix { !$0.isWhitespace }
                if id.count > 20 { return id }
            }
            usleep(20_000)
        }
        return nil
    }

    /// Waits until `path`'s text contains `needle` (bounded).
    static func waitForText(_ needle: String, inFile path: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(needle) { return true }
            usleep(20_000)
        }
        return false
    }

    /// The last JSON line of a `--stats` file.
    static func lastStats(_ path: String) -> [String: Any]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(whereSeparator: \.isNewline).last
        else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    static func counter(_ stats: [String: Any]?, _ name: String) -> Int {
        (stats?["counters"] as? [String: Any])?[name] as? Int ?? -1
    }

    /// How well `recordedPath` (48 kHz) reproduces `reference` (a WAV file). Both go to 8 kHz; the overall
    /// lag is found from 10 ms energy envelopes (-0.5 s to `maxLagSeconds`); then each 0.5 s segment of the
    /// `seconds` after `skipSeconds` is aligned on its own within +-40 ms of that lag (so a dropout or a
    /// time-stretch that shifts later audio costs only the segment it happens in), and the segments'
    /// normalised cross-correlations are averaged.
    static func match(
        referencePath: String, recordedPath: String, skipSeconds: Double = 0.2, seconds: Double, maxLagSeconds: Double = 1.5
    ) throws -> (correlation: Double, lagSeconds: Double) {
        let rate = 8_000
        let reference = try Resampler.resample(WAVReader.read(path: referencePath).audio, to: rate).samples
        let recorded = try Resampler.resample(WAVReader.read(path: recordedPath).audio, to: rate).samples
        let block = rate / 100
        func envelope(_ x: [Float]) -> [Double] {
            stride(from: 0, to: max(0, x.count - block), by: block).map { start in
                var sum = 0.0
                for index in start..<start + block { sum += Double(x[index] * x[index]) }
                return sum.squareRoot()
            }
        }
        let referenceEnvelope = envelope(reference), recordedEnvelope = envelope(recorded)
        let start = Int(skipSeconds * 100), length = Int(seconds * 100)
        var bestLag = 0, bestScore = -Double.infinity
        for lag in -min(start, 50)...Int(maxLagSeconds * 100) {
            guard start + length + lag <= recordedEnvelope.count, start + length <= referenceEnvelope.count else { break }
            let score = correlation(referenceEnvelope, start, recordedEnvelope, start + lag, length)
            if score > bestScore { bestScore = score; bestLag = lag }
        }
        let coarse = bestLag * block, segment = rate / 2, slack = rate * 4 / 100
        var scores: [Double] = []
        for segmentStart in stride(from: start * block, to: (start + length) * block - segment + 1, by: segment) {
            var best = -1.0
            for lag in max(-segmentStart, coarse - slack)...(coarse + slack) {
                guard segmentStart + segment + lag <= recorded.count, segmentStart + segment <= reference.count else { break }
                best = max(best, correlation(reference, segmentStart, recorded, segmentStart + lag, segment))
            }
            scores.append(best)
        }
        return (scores.isEmpty ? -1 : scores.reduce(0, +) / Double(scores.count), Double(coarse) / Double(rate))
    }

    private static func correlation(_ a: [Double], _ aStart: Int, _ b: [Double], _ bStart: Int, _ count: Int) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var ab = 0.0, aa = 0.0, bb = 0.0
                for index in 0..<count {
                    let x = a[aStart + index], y = b[bStart + index]
                    ab += x * y; aa += x * x; bb += y * y
                }
                return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
            }
        }
    }

    /// Float samples, through unsafe pointers: this runs ~20 million times per recording in a debug build.
    private static func correlation(_ a: [Float], _ aStart: Int, _ b: [Float], _ bStart: Int, _ count: Int) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var ab: Float = 0, aa: Float = 0, bb: Float = 0
                for index in 0..<count {
                    let x = a[aStart + index], y = b[bStart + index]
                    ab += x * y; aa += x * x; bb += y * y
                }
                return aa > 0 && bb > 0 ? Double(ab) / (Double(aa) * Double(bb)).squareRoot() : 0
            }
        }
    }
}
