import HoplineAudio

/// Where a call's outgoing audio comes from: a WAV file (`--play`) or a live microphone ring. 48 kHz mono.
///
/// Used only by the node's loop thread, never by a real-time audio callback.
public protocol CallAudioSource: AnyObject {
    /// Fills `frame` with the next frame of audio and returns true, or returns false when a live source has
    /// not captured a whole frame yet (the caller tries again later). A file past its end gives silence.
    func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool
    /// Whether frames come when the loop's clock says (files) rather than when the device delivers them.
    var isClockPaced: Bool { get }
}

/// Where a call's received audio goes: a recording (`--record`), a live speaker ring, or both.
public protocol CallAudioSink: AnyObject {
    func play(_ chunk: UnsafeBufferPointer<Float>)
}

/// A WAV file resampled to 48 kHz mono, sent frame by frame in real time, then silence.
public final class FileAudioSource: CallAudioSource {
    private let samples: [Float]
    private var position = 0

    /// Plays `samples` (48 kHz mono) from the start.
    public init(samples: [Float]) { self.samples = samples }

    /// Reads and resamples a WAV file (done once, before any call: resampling a long file takes a while).
    public static func load(path: String) throws -> [Float] {
        let contents = try WAVReader.read(path: path)
        guard !contents.audio.samples.isEmpty else {
            throw CallError.invalidArgument("--play \(path): the data chunk holds no samples")
        }
        return try Resampler.resample(contents.audio, to: 48_000).samples
    }

    /// Seconds of audio in the file.
    public var duration: Double { Double(samples.count) / 48_000 }
    public var isClockPaced: Bool { true }

    public func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool {
        for index in frame.indices {
            let source = position + index
            frame[index] = source < samples.count ? samples[source] : 0
        }
        position += frame.count
        return true
    }
}

/// Writes every rendered 10 ms chunk as it comes to a 48 kHz 16-bit WAV file (`WAVStreamWriter`): memory
/// stays flat however long the call, the partial file (`PATH.partial`) is a valid WAV up to the last second
/// at any moment (a killed process leaves that much), and `finish()` renames it into place.
///
/// The file is opened with the first chunk; a failure to open or write is kept and thrown by `finish()`
/// (the call goes on; later chunks are dropped).
public final class RecordingSink: CallAudioSink {
    public let path: String
    private var writer: WAVStreamWriter?
    private var failure: AudioFileError?
    private var sinceCheckpoint = 0
    public private(set) var sampleCount = 0

    public init(path: String) { self.path = path }

    public func play(_ chunk: UnsafeBufferPointer<Float>) {
        guard failure == nil else { return }
        do throws(AudioFileError) {
            if writer == nil { writer = try WAVStreamWriter(path: path) }
            try writer?.append(chunk)
            sampleCount += chunk.count
            sinceCheckpoint += chunk.count
            if sinceCheckpoint >= 48_000 {
                sinceCheckpoint = 0
                try writer?.checkpoint()
            }
        } catch {
            failure = error
        }
    }

    /// Completes the file (at least one sample of silence, so it is always a valid WAV) and renames it into
    /// place; throws the first error the recording met.
    public func finish() throws {
        if let failure { throw failure }
        if writer == nil { writer = try WAVStreamWriter(path: path) }
        try writer?.finish()
    }
}
