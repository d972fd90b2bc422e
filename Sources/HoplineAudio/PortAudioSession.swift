internal import CPortAudio
import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// The process-wide PortAudio lifetime and lock.
///
/// PortAudio is one global library state: `Pa_Initialize` and `Pa_Terminate` are reference counted here so
/// that a device listing and any number of open streams can coexist (PortAudio is initialised while at least
/// one holder exists and terminated when the last one leaves; it can be initialised again later, e.g. after
/// the environment has been pointed at another sound server). PortAudio's control API is not thread-safe, so
/// every call outside the real-time callbacks is made under one lock, through `withInitialized` or, for a
/// holder, `serialized`. Neither may be called from inside the other's body (the lock is not recursive),
/// and never from a PortAudio callback.
///
/// ALSA and JACK print diagnostics on stderr while PortAudio initialises and opens devices; those are kept
/// off the user's terminal. JACK is told not to start a server (`JACK_NO_START_SERVER=1`).
enum PortAudioSession {
    /// How many holders need PortAudio initialised; guarded, with every control call, by this mutex.
    private static let holders = Mutex<Int>(0)

    /// Runs `body` with PortAudio initialised and the lock held, terminating PortAudio afterwards if no
    /// other holder needs it.
    static func withInitialized<T: Sendable>(_ body: () throws(AudioDeviceError) -> T) throws(AudioDeviceError) -> T {
        try holders.withLock { (count: inout Int) throws(AudioDeviceError) -> T in
            try initializeIfFirst(&count)
            defer { terminateIfLast(&count) }
            return try body()
        }
    }

    /// Registers a long-lived holder (an open stream), initialising PortAudio if it is the first. Each
    /// successful call must be balanced by one `release()`.
    static func acquire() throws(AudioDeviceError) {
        try holders.withLock { (count: inout Int) throws(AudioDeviceError) in try initializeIfFirst(&count) }
    }

    /// Ends a holder registered with `acquire()`; terminates PortAudio when it was the last.
    static func release() {
        holders.withLock { count in terminateIfLast(&count) }
    }

    /// Runs `body` under the lock. Only for holders (between `acquire()` and `release()`).
    static func serialized<T: Sendable>(_ body: () throws(AudioDeviceError) -> T) throws(AudioDeviceError) -> T {
        try holders.withLock { (count: inout Int) throws(AudioDeviceError) -> T in
            precondition(count > 0, "PortAudioSession.serialized called without acquire()")
            return try body()
        }
    }

    private static func initializeIfFirst(_ count: inout Int) throws(AudioDeviceError) {
        if count == 0 {
            setenv("JACK_NO_START_SERVER", "1", 0)
            let status = withStderrSilenced { Pa_Initialize() }
            guard status == paNoError.rawValue else { throw .portAudio(function: "Pa_Initialize", code: status) }
        }
        count += 1
    }

    private static func terminateIfLast(_ count: inout Int) {
        precondition(count > 0, "PortAudioSession released more often than acquired")
        count -= 1
        if count == 0 { _ = withStderrSilenced { Pa_Terminate() } }
    }

    /// Points file descriptor 2 at /dev/null while `body` runs (library chatter from ALSA/JACK).
    static func withStderrSilenced<T>(_ body: () -> T) -> T {
        fflush(nil)
        let saved = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        if saved >= 0 && null >= 0 { dup2(null, STDERR_FILENO) }
        defer {
            fflush(nil)
            if saved >= 0 {
                dup2(saved, STDERR_FILENO)
                close(saved)
            }
            if null >= 0 { close(null) }
        }
        return body()
    }
}
