import HoplineNet

extension HoplineConfiguration {
    /// Reads `[relay]` into `relay` and `relayCandidates`; each bad value is an error naming its key.
    static func parseRelay(_ reader: ConfigurationReader, path: String, into configuration: inout HoplineConfiguration) throws(ConfigurationError) {
        var relay = configuration.relay
        var candidates = configuration.relayCandidates
        try reader.section("relay") { section throws(ConfigurationError) in
            func address(_ text: String, key: String) throws(ConfigurationError) -> PeerAddress {
                do { return try PeerAddress(parsing: text) } catch { throw .invalidValue(path: path, key: key, reason: "\(error)") }
            }
            func integer(_ key: String, _ range: ClosedRange<Int>, _ expected: String) throws(ConfigurationError) -> Int? {
                guard let value = try section.int(key) else { return nil }
                guard range.contains(value) else { throw .invalidValue(path: path, key: "relay.\(key)", reason: "\(value) (expected \(expected))") }
                return value
            }
            if let value = try section.string("listen") { relay.listen = try address(value, key: "relay.listen") }
            if let value = try integer("max_sessions", 1...RelaySettings.maximumSessions, "1-\(RelaySettings.maximumSessions)") {
                relay.maxSessions = value
            }
            if let value = try integer("max_kbps_per_session", 0...Int(Int32.max), "0 (unlimited) or more") { relay.maxKbpsPerSession = value }
            if let value = try integer("max_total_kbps", 0...Int(Int32.max), "0 (unlimited) or more") { relay.maxTotalKbps = value }
            if let value = try integer("max_sessions_per_ip", 1...RelaySettings.maximumSessions, "1 or more") { relay.maxSessionsPerIP = value }
            if let value = try section.double("drain_timeout_s") {
                guard (0...3_600).contains(value) else {
                    throw .invalidValue(path: path, key: "relay.drain_timeout_s", reason: "\(value) (expected 0...3600)")
                }
                relay.drainTimeoutSeconds = value
            }
            if let value = try section.bool("allow_loopback_peers") { relay.allowLoopbackPeers = value }
            if let value = try section.bool("deny_private") { relay.denyPrivate = value }
            if let value = try section.string("metrics") { relay.metrics = value.isEmpty ? nil : try address(value, key: "relay.metrics") }
            if let value = try section.bool("enabled") { relay.enabled = value }
            if let values = try section.stringArray("candidates") {
                candidates = []
                for (index, text) in values.enumerated() {
                    candidates.append(try address(text, key: "relay.candidates[\(index)]"))
                }
            }
        }
        configuration.relay = relay
        configuration.relayCandidates = candidates
    }
}
