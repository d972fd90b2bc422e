import Foundation
import HoplineAudio

/// The benchmark's input: every `*.wav` in a folder, in name order, resampled to 48 kHz and joined end to
/// end (the whole set repeated until long enough), with each file's place in the result so quality can be
/// scored per utterance.
struct SpeechCorpus: Sendable {
    /// One source file's span in `samples` (a half-open range of sample indices).
    struct Segment: Sendable, Codable {
        var start: Int
        var end: Int
    }

    static let sampleRate = 48_000
    /// The joined speech, 48 kHz mono.
    var samples: [Float] = []
    var segments: [Segment] = []
    /// How many distinct files went in (before repetition).
    var fileCount = 0

    var seconds: Double { Double(samples.count) / Double(Self.sampleRate) }

    /// Reads every WAV in `directory` and joins them until the result lasts at least `minimumSeconds`.
    static func load(directory: String, minimumSeconds: Double) throws -> SpeechCorpus {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw BenchmarkError.speechFolder(directory, reason: error.localizedDescription)
        }
        let files = names.filter { $0.lowercased().hasSuffix(".wav") }.sorted()
        guard !files.isEmpty else { throw BenchmarkError.noSpeech(directory) }
        let clips = try files.map { name -> [Float] in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            let audio = try Resampler.resample(WAVReader.read(path: path).audio, to: sampleRate)
            guard !audio.samples.isEmpty else { throw BenchmarkError.emptySpeechFile(path) }
            return audio.samples
        }

        var corpus = SpeechCorpus(fileCount: files.count)
        let minimumSamples = Int((minimumSeconds * Double(sampleRate)).rounded(.up))
        while corpus.samples.count < minimumSamples {
            for clip in clips {
                let start = corpus.samples.count
                corpus.samples += clip
                corpus.segments.append(Segment(start: start, end: corpus.samples.count))
            }
        }
        return corpus
    }
}
