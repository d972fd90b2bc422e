internal import CSRTP

/// libsrtp2's process-wide state. `srtp_init()` sets up libsrtp2's global crypto kernel and must run once
/// before any session exists; `SRTPSession` calls `initialize()` itself, so callers rarely need to.
///
/// Thread-safe: the first call runs `srtp_init()` exactly once (a Swift lazy global, guarded by the runtime);
/// every later call, from any thread, returns that first outcome. `srtp_shutdown()` is never called: other
/// sessions may still be alive, and the kernel's memory is reclaimed when the process exits.
public enum SRTPLibrary {
    /// Runs `srtp_init()` on the first call; throws `.failed(function: "srtp_init", ...)` if it failed then.
    public static func initialize() throws(SRTPError) {
        let status = initStatus
        guard status == .ok else { throw .failed(function: "srtp_init", status: status) }
    }

    /// libsrtp2's own version text, e.g. `libsrtp2 2.5.0`.
    public static var version: String { String(cString: srtp_get_version_string()) }

    private static let initStatus = SRTPStatus(srtp_init())
}
