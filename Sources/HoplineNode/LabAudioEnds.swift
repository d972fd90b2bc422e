/// The lab sender's microphone: frames from a `LoopbackInput`, zero-padded past its end, and no frame at
/// all after `frameCount` (a clock-paced source that declines a frame sends nothing that period), so the
/// call's `MediaSession` sends exactly the frames the input needs. A read failure is kept for the lab to
/// throw (the session's capture path cannot).
final class LabFrameSource: CallAudioSource {
    /// Frames to send (0 until the lab sets it: it depends on the session's encoder look-ahead).
    var frameCount = 0
    private let input: LoopbackInput
    private(set) var framesTaken = 0
    private(set) var failure: (any Error)?

    init(input: LoopbackInput) { self.input = input }

    var isClockPaced: Bool { true }

    func nextFrame(into frame: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard framesTaken < frameCount, failure == nil else { return false }
        framesTaken += 1
        var filled = 0
        do {
            let samples = try input.read(maximumSamples: frame.count)
            for (index, sample) in samples.enumerated() { frame[index] = sample }
            filled = samples.count
        } catch {
            failure = error
        }
        for index in filled..<frame.count { frame[index] = 0 }
        return true
    }
}

/// The lab receiver's speaker: puts the rendered stream back on the input's timeline as it comes and
/// hands it to a `LoopbackOutput`, holding only the chunks rendered before the first packet played (when
/// the alignment is not known yet; normally a few periods).
///
/// Output sample `i` is stream sample `offset + i`, where `offset` is the first played packet's place in
/// the stream minus its place in the input, plus the codec look-ahead; stream samples that do not exist
/// (before the stream, after the run) are zeros. Exactly `length` samples are written.
final class LabAlignedSink: CallAudioSink {
    let length: Int
    private let output: LoopbackOutput
    private let lookahead: Int
    private var offset: Int64?
    /// Stream samples received but not yet placed, starting at stream index `pendingStart`.
    private var pending: [Float] = []
    private var pendingStart: Int64 = 0
    private(set) var written = 0
    private(set) var failure: (any Error)?

    init(output: LoopbackOutput, length: Int, lookahead: Int) {
        self.output = output
        self.length = length
        self.lookahead = lookahead
    }

    var isComplete: Bool { written >= length }
    /// The most stream samples ever held at once (waiting for the alignment, or one chunk): what the
    /// bounded-memory test checks.
    private(set) var maximumHeld = 0

    /// Where input sample 0 sits in the stream (from the first played packet); later calls are ignored.
    func align(inputStartInStream start: Int64) {
        guard offset == nil else { return }
        offset = start + Int64(lookahead)
    }

    func play(_ chunk: UnsafeBufferPointer<Float>) {
        pending.append(contentsOf: chunk)
        maximumHeld = max(maximumHeld, pending.count)
        guard let offset, failure == nil else { return }
        if written == 0 && offset < 0 { emit([Float](repeating: 0, count: Int(min(-offset, Int64(length))))) }
        // Stream index of output sample `written`: skip what comes before it, emit the rest.
        let skip = Int(max(0, min(Int64(pending.count), offset + Int64(written) - pendingStart)))
        if skip < pending.count { emit(Array(pending[skip...])) }
        pendingStart += Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// Pads with zeros to `length` (a run that ended at its drain limit, or never played) and finishes.
    func finish() throws {
        if let failure { throw failure }
        if written < length { emit([Float](repeating: 0, count: length - written)) }
        if let failure { throw failure }
        try output.finish()
    }

    private func emit(_ samples: [Float]) {
        let count = min(samples.count, length - written)
        guard count > 0 else { return }
        do {
            try output.write(count == samples.count ? samples : Array(samples[0..<count]))
            written += count
        } catch {
            failure = error
        }
    }
}
