import ArgumentParser
import HoplineNet
import HoplineNode
import HoplineRelay

/// The flags of `hopline relay`: each overrides its `[relay]` key from the configuration file.
struct RelayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The relay's UDP socket; port 0 picks a free port (printed). Default: [relay] listen.", valueName: "host:port"))
    var listen: String?

    @Option(name: .customLong("max-sessions"), help: ArgumentHelp("Most sessions at once.", valueName: "n"))
    var maxSessions: Int?

    @Option(name: .customLong("max-kbps-per-session"), help: ArgumentHelp("Bandwidth budget of one session, kbit/s (0: unlimited).", valueName: "kbps"))
    var maxKbpsPerSession: Int?

    @Option(name: .customLong("max-total-kbps"), help: ArgumentHelp("Bandwidth budget of the relay, kbit/s (0: unlimited).", valueName: "kbps"))
    var maxTotalKbps: Int?

    @Option(name: .customLong("max-sessions-per-ip"), help: ArgumentHelp("Most sessions one source IP may be part of.", valueName: "n"))
    var maxSessionsPerIP: Int?

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics (TCP; port 0 picks one).", valueName: "host:port"))
    var metrics: String?

    @Option(name: .customLong("drain-timeout"), help: ArgumentHelp("On SIGTERM/SIGINT, wait at most this long for sessions to move.", valueName: "seconds"))
    var drainTimeout: Double?

    @Flag(name: .customLong("allow-loopback-peers"), help: "Accept call ends on loopback addresses (tests and demos).")
    var allowLoopbackPeers = false

    @Flag(name: .customLong("deny-private"), help: "Refuse call ends in private and link-local ranges (public relays).")
    var denyPrivate = false

    func validate() throws {
        if let listen { _ = try address(listen, flag: "--listen") }
        if let metrics { _ = try address(metrics, flag: "--metrics") }
        if let maxSessions, !(1...RelaySettings.maximumSessions).contains(maxSessions) {
            throw ValidationError("--max-sessions \(maxSessions) is out of range (expected 1-\(RelaySettings.maximumSessions))")
        }
        if let maxKbpsPerSession, maxKbpsPerSession < 0 {
            throw ValidationError("--max-kbps-per-session \(maxKbpsPerSession) is out of range (expected 0 for unlimited, or more)")
        }
        if let maxTotalKbps, maxTotalKbps < 0 {
            throw ValidationError("--max-total-kbps \(maxTotalKbps) is out of range (expected 0 for unlimited, or more)")
        }
        if let maxSessionsPerIP, maxSessionsPerIP < 1 {
            throw ValidationError("--max-sessions-per-ip \(maxSessionsPerIP) is out of range (expected 1 or more)")
        }
        if let drainTimeout, !(0...3_600).contains(drainTimeout) {
            throw ValidationError("--drain-timeout \(drainTimeout) is out of range (expected 0...3600 seconds)")
        }
    }

    /// The configuration's `[relay]` with these flags applied.
    func settings(_ base: RelaySettings) throws -> RelaySettings {
        var settings = base
        if let listen { settings.listen = try address(listen, flag: "--listen") }
        if let metrics { settings.metrics = try address(metrics, flag: "--metrics") }
        if let maxSessions { settings.maxSessions = maxSessions }
        if let maxKbpsPerSession { settings.maxKbpsPerSession = maxKbpsPerSession }
        if let maxTotalKbps { settings.maxTotalKbps = maxTotalKbps }
        if let maxSessionsPerIP { settings.maxSessionsPerIP = maxSessionsPerIP }
        if let drainTimeout { settings.drainTimeoutSeconds = drainTimeout }
        if allowLoopbackPeers { settings.allowLoopbackPeers = true }
        if denyPrivate { settings.denyPrivate = true }
        return settings
    }

    private func address(_ text: String, flag: String) throws -> PeerAddress {
        do { return try PeerAddress(parsing: text) } catch { throw ValidationError("\(flag): \(error)") }
    }
}

extension RelaySettings {
    /// The engine's limits for these settings.
    var limits: RelayLimits {
        RelayLimits(
            maxSessions: maxSessions, maxKbpsPerSession: maxKbpsPerSession, maxTotalKbps: maxTotalKbps,
            maxSessionsPerIP: maxSessionsPerIP, allowLoopbackPeers: allowLoopbackPeers, denyPrivate: denyPrivate)
    }

    /// One line describing the policy, printed at start.
    var summary: String {
        func kbps(_ value: Int) -> String { value == 0 ? "unlimited" : "\(value) kbit/s" }
        return "max \(maxSessions) sessions, \(maxSessionsPerIP) per IP, \(kbps(maxKbpsPerSession)) per session, "
            + "\(kbps(maxTotalKbps)) total; loopback peers \(allowLoopbackPeers ? "allowed" : "refused"), "
            + "private ranges \(denyPrivate ? "refused" : "allowed")"
    }
}
