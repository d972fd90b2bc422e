import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT (Ctrl-C) and SIGTERM into a flag the node's loop polls, so a call hangs up cleanly (bye to
/// the peer, recording written) instead of the process dying mid-write. Thread-safe.
public final class StopSignal: Sendable {
    private let raised = Atomic<Int32>(0)

    public init() {}

    /// Starts catching SIGINT and SIGTERM. Call once, from the main thread.
    public func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in raised.store(signalNumber, ordering: .relaxed) }
            source.resume()
            installedSignalSources.append(source)
        }
    }

    /// The signal caught, if any.
    public var caught: Int32? {
        let value = raised.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Raises the flag without a signal (tests, or the program deciding to stop).
    public func raise() { raised.store(SIGTERM, ordering: .relaxed) }
}

/// Kept alive for the life of the process; touched only by `StopSignal.install` on the main thread.
nonisolated(unsafe) private var installedSignalSources: [any DispatchSourceSignal] = []
