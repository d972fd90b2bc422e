import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM, blocked in every thread and taken synchronously with `sigtimedwait`, so `impair` and `relay`
/// always print their final counters and close their sockets. Create it before any other thread starts (the
/// event loops then inherit the mask). Dispatch signal sources were tried first and lost a SIGINT now
/// and then: libdispatch on Linux registers them asynchronously and re-raises to one thread.
struct StopSignals {
    private var signals = sigset_t()

    init() {
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        // A blocked signal is never discarded as ignored, even when a shell started us with SIGINT ignored.
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Waits until SIGINT or SIGTERM arrives (returns its name) or `deadline` passes (returns nil).
    func wait(until deadline: DispatchTime) -> String? {
        var signals = self.signals
        while true {  // each pass waits until the deadline or returns
            let now = DispatchTime.now()
            guard now < deadline else { return nil }
            let remaining = deadline.uptimeNanoseconds - now.uptimeNanoseconds
            var timeout = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
            switch sigtimedwait(&signals, nil, &timeout) {
            case SIGINT: return "SIGINT"
            case SIGTERM: return "SIGTERM"
            default: continue  // timeout (EAGAIN) or interrupted (EINTR): check the deadline again
            }
        }
    }
}
