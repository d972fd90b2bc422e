/// Why the benchmark could not run to the end (a missed target is not an error: it is a FAIL row).
enum BenchmarkError: Error, CustomStringConvertible {
    case speechFolder(String, reason: String)
    case noSpeech(String)
    case emptySpeechFile(String)
    case shortDecode(frame: Int, samples: Int, expected: Int)
    case outputFolder(String, reason: String)
    case scorerFailed(command: String, status: Int32, detail: String)

    var description: String {
        switch self {
        case .speechFolder(let path, let reason):
            return "cannot list the speech folder \(path): \(reason)"
        case .noSpeech(let path):
            return "no .wav files in the speech folder \(path) (expected one or more speech recordings)"
        case .emptySpeechFile(let path):
            return "speech file \(path) holds no samples"
        case .shortDecode(let frame, let samples, let expected):
            return "bare codec: frame \(frame) decoded to \(samples) samples (expected \(expected))"
        case .outputFolder(let path, let reason):
            return "cannot create the output folder \(path): \(reason)"
        case .scorerFailed(let command, let status, let detail):
            return """
                PESQ scorer failed (exit status \(status)): \(command)
                \(detail)
                (it needs numpy, scipy and pesq for that Python; `make bench` installs them)
                """
        }
    }
}
