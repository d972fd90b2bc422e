import Foundation
import HoplineAudio
import XCTest

/// Paths and helpers shared by the node tests.
enum TestSupport {
    /// The package root, found from this file's location.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let demoSample = packageRoot.appendingPathComponent("samples/demo-speech-16k.wav").path
    static let sharedSpeech = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/speech")

    /// The `hopline` binary built next to the test bundle (`swift build --build-tests` builds both).
    static var hoplineBinary: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = testBinary.deletingLastPathComponent()
        // `.../debug/HoplinePackageTests.xctest` on Linux is the binary itself; step out of a bundle if needed.
        if directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("hopline").path
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hopline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs the CLI with `arguments`, bounded by `timeout` seconds; returns exit status, stdout and stderr.
    static func runHopline(
        _ arguments: [String], environment: [String: String]? = nil, timeout: TimeInterval = 60
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess.spawn(hoplineBinary, arguments, environment: environment)
        let status = child.wait(timeout: timeout)
        let output = child.collectOutput()
        if status == nil { XCTFail("hopline \(arguments) did not finish within \(timeout) s") }
        return (status ?? -1, output.stdout, output.stderr)
    }

    /// Like `bestCorrelation`, on copies averaged down by `factor` first: cheap for long lag searches
    /// (time-stretched output can be shifted by tens of milliseconds).
    static func bestCorrelation(_ a: [Float], _ b: [Float], maxLag: Int, decimatedBy factor: Int) -> Double {
        func decimate(_ x: [Float]) -> [Float] {
            stride(from: 0, to: x.count - factor + 1, by: factor).map { start in
                x[start..<(start + factor)].reduce(0, +) / Float(factor)
            }
        }
        return bestCorrelation(decimate(a), decimate(b), maxLag: maxLag / factor)
    }

    /// Normalised cross-correlation of `a` and `b` at the best lag within +-`maxLag` samples.
    static func bestCorrelation(_ a: [Float], _ b: [Float], maxLag: Int) -> Double {
        let count = min(a.count, b.count)
        var best = -1.0
        for lag in -maxLag...maxLag {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for index in max(0, -lag)..<min(count, count - lag) {
                let x = Double(a[index]), y = Double(b[index + lag])
                ab += x * y
                aa += x * x
                bb += y * y
            }
            if aa > 0 && bb > 0 { best = max(best, ab / (aa * bb).squareRoot()) }
        }
        return best
    }
}
