internal import Atomics
internal import CPortAudio

/// Everything the PortAudio callbacks touch, allocated once per `LiveAudioStream` and handed to PortAudio
/// as the callbacks' `userData`. Only pointers (ring parts and atomic counters): no reference counting, so
/// reading it in a callback costs no retain, release or allocation.
struct LiveAudioCallbackContext {
    let capture: SampleRingCore
    let playback: SampleRingCore
    /// Everything the output callback gave the device, silence included: the echo canceller's reference.
    let played: SampleRingCore
    let framesCaptured: UnsafeAtomic<Int>
    let framesPlayed: UnsafeAtomic<Int>
    let playbackUnderruns: UnsafeAtomic<Int>
    let silenceFramesPlayed: UnsafeAtomic<Int>
    let inputOverflows: UnsafeAtomic<Int>
    let outputUnderflows: UnsafeAtomic<Int>
    /// When the input callback last ran and how many frames the microphone had delivered by then.
    let captureStamp: DeviceClockStamp
    /// When the output callback last ran and how many frames (ring and silence) the speaker had taken by then.
    let playbackStamp: DeviceClockStamp

    static func allocate(
        capture: SampleRingCore, playback: SampleRingCore, played: SampleRingCore
    ) -> UnsafeMutablePointer<LiveAudioCallbackContext> {
        let context = UnsafeMutablePointer<LiveAudioCallbackContext>.allocate(capacity: 1)
        context.initialize(
            to: LiveAudioCallbackContext(
                capture: capture, playback: playback, played: played, framesCaptured: .create(0), framesPlayed: .create(0),
                playbackUnderruns: .create(0), silenceFramesPlayed: .create(0), inputOverflows: .create(0),
                outputUnderflows: .create(0), captureStamp: .create(), playbackStamp: .create()))
        return context
    }

    /// Frees the counters and `context` itself (not the rings, which their `SampleRingBuffer`s own). Only
    /// once PortAudio can no longer call back: after `Pa_CloseStream` on every stream that uses it.
    static func deallocate(_ context: UnsafeMutablePointer<LiveAudioCallbackContext>) {
        let counters = context.pointee
        for counter in [
            counters.framesCaptured, counters.framesPlayed, counters.playbackUnderruns, counters.silenceFramesPlayed,
            counters.inputOverflows, counters.outputUnderflows,
        ] {
            _ = counter.destroy()
        }
        counters.captureStamp.destroy()
        counters.playbackStamp.destroy()
        context.deinitialize(count: 1)
        context.deallocate()
    }
}

// The PortAudio callbacks. They run on PortAudio's real-time thread and only copy: no allocation, no lock,
// no logging, no closures, no Array or String; just the context's pointers and atomics.

/// Input stream callback: appends the captured frames to the capture ring (counting an overrun there when it
/// is full) and counts them.
func liveAudioCaptureCallback(
    input: UnsafeRawPointer?, output: UnsafeMutableRawPointer?, frameCount: UInt,
    timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, statusFlags: PaStreamCallbackFlags,
    userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context = userData?.assumingMemoryBound(to: LiveAudioCallbackContext.self).pointee else {
        return Int32(paAbort.rawValue)
    }
    if statusFlags & PaStreamCallbackFlags(0x2) != 0 {  // paInputOverflow (a macro Swift does not import)
        context.inputOverflows.wrappingIncrement(ordering: .relaxed)
    }
    let frames = Int(frameCount)
    if let input {
        _ = context.capture.write(UnsafeBufferPointer(start: input.assumingMemoryBound(to: Float.self), count: frames))
    }
    context.framesCaptured.wrappingIncrement(by: frames, ordering: .relaxed)
    context.captureStamp.record(adding: frames)
    return Int32(paContinue.rawValue)
}

/// Output stream callback: fills the device buffer from the playback ring and the rest with silence,
/// counting an underrun when the ring came up short, and copies the whole buffer to the played ring (the echo
/// reference; when nobody reads that ring, the copy is refused and nothing else happens).
func liveAudioPlaybackCallback(
    input: UnsafeRawPointer?, output: UnsafeMutableRawPointer?, frameCount: UInt,
    timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, statusFlags: PaStreamCallbackFlags,
    userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context = userData?.assumingMemoryBound(to: LiveAudioCallbackContext.self).pointee, let output else {
        return Int32(paAbort.rawValue)
    }
    if statusFlags & PaStreamCallbackFlags(0x4) != 0 {  // paOutputUnderflow
        context.outputUnderflows.wrappingIncrement(ordering: .relaxed)
    }
    let frames = Int(frameCount)
    let destination = UnsafeMutableBufferPointer(start: output.assumingMemoryBound(to: Float.self), count: frames)
    let played = context.playback.read(into: destination)
    if played < frames {
        (destination.baseAddress! + played).update(repeating: 0, count: frames - played)
        context.playbackUnderruns.wrappingIncrement(ordering: .relaxed)
        context.silenceFramesPlayed.wrappingIncrement(by: frames - played, ordering: .relaxed)
    }
    _ = context.played.write(UnsafeBufferPointer(destination))
    context.framesPlayed.wrappingIncrement(by: played, ordering: .relaxed)
    context.playbackStamp.record(adding: frames)
    return Int32(paContinue.rawValue)
}
