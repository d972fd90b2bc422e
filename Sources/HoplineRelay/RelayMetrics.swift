import CoreMetrics
import HoplineNet
import Prometheus
import Synchronization

/// The relay's counters as Prometheus metrics (swift-metrics handles backed by a private swift-prometheus
/// registry, so several relays in one process never share a global). Labels only ever name a result or a
/// reason, never a peer address. Thread-safe: `render()` may be called from any thread.
///
/// | metric | type | labels |
/// | --- | --- | --- |
/// | hopline_relay_sessions_active | gauge | |
/// | hopline_relay_sessions_capacity | gauge | |
/// | hopline_relay_draining | gauge (0/1) | |
/// | hopline_relay_packets_total | counter | result = forwarded, dropped_unknown_channel, dropped_unknown_source, dropped_no_peer_yet, dropped_rate_limited, dropped_malformed, dropped_unexpected, dropped_amplification, dropped_not_relay |
/// | hopline_relay_bytes_forwarded_total | counter | |
/// | hopline_relay_refusals_total | counter | reason = full, rate_limited, draining, bad_cookie, bad_token, expired, source_limit, denied_address |
/// | hopline_relay_rate_limited_total | counter | |
/// | hopline_relay_cookies_issued_total | counter | |
/// | hopline_relay_sessions_created_total | counter | |
/// | hopline_relay_sessions_ended_total | counter | how = expired, left |
/// | hopline_relay_joins_total | counter | |
/// | hopline_relay_control_bytes_total | counter | direction = in, out |
/// | hopline_relay_drains_sent_total | counter | |
public final class RelayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let counters: RelayCounters
    private let capacity: Int
    private let last = Mutex<RelayStatistics?>(nil)
    private let sessionsActive: CoreMetrics.Gauge
    private let sessionsCapacity: CoreMetrics.Gauge
    private let draining: CoreMetrics.Gauge
    private let forwarded: CoreMetrics.Counter
    private let dropped: [RelayDropReason: CoreMetrics.Counter]
    private let bytesForwarded: CoreMetrics.Counter
    private let refusals: [RelayRefusal: CoreMetrics.Counter]
    private let rateLimited: CoreMetrics.Counter
    private let cookiesIssued: CoreMetrics.Counter
    private let sessionsCreated: CoreMetrics.Counter
    private let sessionsExpired: CoreMetrics.Counter
    private let sessionsLeft: CoreMetrics.Counter
    private let joins: CoreMetrics.Counter
    private let controlIn: CoreMetrics.Counter
    private let controlOut: CoreMetrics.Counter
    private let drainsSent: CoreMetrics.Counter

    public init(counters: RelayCounters, capacity: Int) {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "hopline_relay_" + name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: "hopline_relay_" + name, dimensions: [], factory: factory) }
        self.registry = registry
        self.counters = counters
        self.capacity = capacity
        sessionsActive = gauge("sessions_active")
        sessionsCapacity = gauge("sessions_capacity")
        draining = gauge("draining")
        forwarded = counter("packets_total", [("result", "forwarded")])
        var dropped: [RelayDropReason: CoreMetrics.Counter] = [:]
        for reason in RelayDropReason.allCases { dropped[reason] = counter("packets_total", [("result", "dropped_" + reason.label)]) }
        self.dropped = dropped
        bytesForwarded = counter("bytes_forwarded_total")
        var refusals: [RelayRefusal: CoreMetrics.Counter] = [:]
        for reason in RelayRefusal.allCases { refusals[reason] = counter("refusals_total", [("reason", reason.label)]) }
        self.refusals = refusals
        rateLimited = counter("rate_limited_total")
        cookiesIssued = counter("cookies_issued_total")
        sessionsCreated = counter("sessions_created_total")
        sessionsExpired = counter("sessions_ended_total", [("how", "expired")])
        sessionsLeft = counter("sessions_ended_total", [("how", "left")])
        joins = counter("joins_total")
        controlIn = counter("control_bytes_total", [("direction", "in")])
        controlOut = counter("control_bytes_total", [("direction", "out")])
        drainsSent = counter("drains_sent_total")
        _ = update()
    }

    /// Brings every metric up to the counters' current values and returns the Prometheus text exposition.
    public func render() -> String {
        _ = update()
        return registry.emitToString()
    }

    private func update() -> RelayStatistics {
        last.withLock { last in
            let now = counters.snapshot()
            let before = last
            func bump(_ counter: CoreMetrics.Counter, _ value: (RelayStatistics) -> Int) {
                let delta = value(now) - (before.map(value) ?? 0)
                if delta > 0 { counter.increment(by: delta) }
            }
            sessionsActive.record(now.sessionsActive)
            sessionsCapacity.record(capacity)
            draining.record(now.draining ? 1 : 0)
            bump(forwarded) { $0.packetsForwarded }
            for (reason, counter) in dropped { bump(counter) { $0.drops[reason] ?? 0 } }
            bump(bytesForwarded) { $0.bytesForwarded }
            for (reason, counter) in refusals { bump(counter) { $0.refusals[reason] ?? 0 } }
            bump(rateLimited) { $0.rateLimitHits }
            bump(cookiesIssued) { $0.cookiesIssued }
            bump(sessionsCreated) { $0.sessionsCreated }
            bump(sessionsExpired) { $0.sessionsExpired }
            bump(sessionsLeft) { $0.sessionsLeft }
            bump(joins) { $0.joins }
            bump(controlIn) { $0.controlBytesIn }
            bump(controlOut) { $0.controlBytesOut }
            bump(drainsSent) { $0.drainsSent }
            last = now
            return now
        }
    }
}
