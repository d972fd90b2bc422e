/// A relay's metrics page (Prometheus text exposition) read back into numbers and printed for a person as
/// a small table (`hopline relay status`).
public struct RelayStatusReport: Equatable, Sendable {
    /// Sample values by metric name, then by label value ("" for an unlabelled metric).
    public private(set) var samples: [String: [String: Double]] = [:]

    /// Parses `name value` and `name{label="value"} value` lines; comments and anything unparsable are
    /// skipped (a newer relay may export more than this reader knows).
    public init(parsing text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let value = Double(fields[fields.count - 1]) else { continue }
            let series = fields[0]
            var name = Substring(series)
            var label = ""
            if let open = series.firstIndex(of: "{"), let close = series.lastIndex(of: "}") {
                name = series[..<open]
                let labels = series[series.index(after: open)..<close]
                if let quote = labels.firstIndex(of: "\"") {
                    label = String(labels[labels.index(after: quote)...].prefix { $0 != "\"" })
                }
            }
            samples[String(name), default: [:]][label, default: 0] += value
        }
    }

    public func value(_ name: String, _ label: String = "") -> Int {
        Int(samples["hopline_relay_" + name]?[label] ?? 0)
    }

    public func total(_ name: String) -> Int { Int(samples["hopline_relay_" + name]?.values.reduce(0, +) ?? 0) }

    /// True when the page had at least one relay metric.
    public var isRelay: Bool { samples.keys.contains { $0.hasPrefix("hopline_relay_") } }

    /// The table printed by `hopline relay status`.
    public func table(source: String) -> String {
        let packets = samples["hopline_relay_packets_total"] ?? [:]
        let drops = packets.filter { $0.key.hasPrefix("dropped_") }
        let refusals = samples["hopline_relay_refusals_total"] ?? [:]
        func breakdown(_ values: [String: Double], dropPrefix: String = "") -> String {
            let parts = values.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                .map { "\($0.key.dropFirst(dropPrefix.count)) \(Int($0.value))" }
            return parts.isEmpty ? "" : "  (" + parts.joined(separator: ", ") + ")"
        }
        let rows: [(String, String)] = [
            ("sessions active", "\(value("sessions_active")) of \(value("sessions_capacity"))"),
            ("draining", value("draining") == 1 ? "yes" : "no"),
            ("packets forwarded", "\(value("packets_total", "forwarded"))"),
            ("bytes forwarded", "\(value("bytes_forwarded_total"))"),
            ("packets dropped", "\(Int(drops.values.reduce(0, +)))" + breakdown(drops, dropPrefix: "dropped_")),
            ("refusals", "\(total("refusals_total"))" + breakdown(refusals)),
            ("rate-limit hits", "\(value("rate_limited_total"))"),
            ("cookies issued", "\(value("cookies_issued_total"))"),
            ("sessions created", "\(value("sessions_created_total"))"
                + "  (expired \(value("sessions_ended_total", "expired")), left \(value("sessions_ended_total", "left")))"),
            ("control bytes in/out", "\(value("control_bytes_total", "in")) / \(value("control_bytes_total", "out"))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        var lines = ["relay at \(source)"]
        for (name, value) in rows {
            lines.append("  " + name + String(repeating: " ", count: width - name.count + 2) + value)
        }
        return lines.joined(separator: "\n")
    }
}
