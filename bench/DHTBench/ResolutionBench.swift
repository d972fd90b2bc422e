import Dispatch
import Foundation
import HoplineDiscovery
import HoplineNet

/// The in-process network: `nodes` runners bootstrapped from the first, a signed presence record each.
struct ResolutionBench {
    let nodes: Int

    struct Result {
        var times: [Double]
        var failures: Int
        var failureNotes: [String]
        var putRetries: Int
        var idleBeforeLookups: [(bytes: Double, packets: Double)] = []
        var idleAfterLookups: [(bytes: Double, packets: Double)] = []

        func lines(privateNetns: Bool) -> [String] {
            let (p50, p95, top) = percentiles(times)
            var lines = [
                "## Resolving a node ID (\(times.count) lookups, one at a time)", "",
                "| measure | value | target | result |", "|---|---:|---:|---|",
                String(format: "| p50 | %.1f ms | | |", p50),
                String(format: "| p95 | %.1f ms | 500 ms | %@ |", p95, p95 <= 500 ? "PASS" : "FAIL"),
                String(format: "| max | %.1f ms | | |", top),
                "| failed (no verified record) | \(failures) | 0 | \(failures == 0 ? "PASS" : "FAIL") |", "",
            ]
            if putRetries > 0 { lines += ["presence puts OpenDHT reported failed and were put again: \(putRetries)", ""] }
            if !failureNotes.isEmpty { lines += ["failed lookups: " + failureNotes.joined(separator: "; "), ""] }
            if privateNetns, !idleBeforeLookups.isEmpty {
                func row(_ name: String, _ windows: [(bytes: Double, packets: Double)]) -> String {
                    let bytes = windows.map(\.bytes).reduce(0, +) / Double(max(1, windows.count))
                    let packets = windows.map(\.packets).reduce(0, +) / Double(max(1, windows.count))
                    return String(format: "| %@ | %.0f | %.1f | %.2f | %@ |", name, bytes, packets, bytes * 8 / 60 / 1000,
                        windows.map { String(format: "%.0f", $0.bytes) }.joined(separator: ", "))
                }
                lines += [
                    "## DHT traffic while idle, per node per minute (loopback of a private network namespace; IP bytes)", "",
                    "| when | bytes | packets | kbit/s | bytes in each half |", "|---|---:|---:|---:|---|",
                    row("after publishing, before any lookup", idleBeforeLookups),
                    row("right after the \(times.count + failures) lookups", idleAfterLookups), "",
                ]
            } else {
                lines += ["DHT idle traffic: not measured (needs a private network namespace: `make bench-dht` runs one as root)", ""]
            }
            return lines
        }
    }

    func run(lookups: Int, idleSeconds: Double) throws -> Result {
        var putRetries = 0
        let first = try DHTRunner(settings: DHTSettings())
        let bootstrap = DHTBootstrapNode(host: "127.0.0.1", port: first.boundPort)
        var runners = [first]
        for _ in 1..<nodes {
            let runner = try DHTRunner(settings: DHTSettings(bootstrap: [bootstrap]))
            guard runner.bootstrapAndWait(bootstrap, timeoutSeconds: 5) == true else { throw BenchFailure("runner \(runners.count) did not bootstrap") }
            runners.append(runner)
        }
        defer { for runner in runners { runner.shutdown() } }
        let identities = (0..<nodes).map { _ in NodeIdentity.generate() }
        let now = WallClock.milliseconds()
        // Publish all at once; a put OpenDHT reports failed (a runner that did not yet know enough nodes) is
        // put again, up to three times.
        var records: [[UInt8]] = []
        for (index, _) in runners.enumerated() {
            let body = PresenceRecord(candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "127.0.0.1:\(20_000 + index)"))]).body()
            records.append(try DiscoveryRecord.signed(
                kind: .presence, by: identities[index], sequence: now, issuedMilliseconds: now,
                lifetimeMilliseconds: PresenceRecord.lifetimeMilliseconds, body: body).serialized())
        }
        var pending = Array(runners.indices)
        for _ in 0..<3 where !pending.isEmpty {
            var operations: [Int: Int] = [:]
            for index in pending { operations[index] = try runners[index].put(records[index], at: .presence(of: identities[index].nodeID)) }
            var failed: [Int] = []
            for index in pending {
                guard let operation = operations[index] else { continue }
                var outcome: Bool?
                let deadline = DispatchTime.now() + 10
                while outcome == nil, DispatchTime.now() < deadline {
                    for event in runners[index].events.waitAndDrain(timeoutNanoseconds: 100_000_000) {
                        if case .done(operation, let ok) = event { outcome = ok }
                    }
                }
                if outcome != true { failed.append(index) }
            }
            putRetries += failed.count
            pending = failed
        }
        guard pending.isEmpty else { throw BenchFailure("\(pending.count) presence records could not be stored") }
        // Let the network settle (routing tables fill) before measuring.
        Thread.sleep(forTimeInterval: 2)
        let idleBefore = idleSeconds > 0 ? measureIdle(runners, seconds: idleSeconds / 2) : []
        var times: [Double] = []
        var failures = 0
        var failureNotes: [String] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<lookups {
            let from = Int.random(in: 0..<nodes, using: &generator)
            var to = Int.random(in: 0..<nodes - 1, using: &generator)
            if to >= from { to += 1 }
            let target = identities[to].nodeID
            let start = DispatchTime.now().uptimeNanoseconds
            let found = try runners[from].getAll(.presence(of: target), timeoutSeconds: 5)
            var verifier = RecordVerifier()
            let record = verifier.newest(of: found.values, kind: .presence, about: target, nowMilliseconds: WallClock.milliseconds())
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if record == nil || !found.done {
                failures += 1
                failureNotes.append(String(format: "%@ after %.0f ms: %d value(s)", found.done ? "done" : "not done", elapsed, found.values.count))
            } else {
                times.append(elapsed)
            }
        }
        var result = Result(
            times: times, failures: failures, failureNotes: failureNotes, putRetries: putRetries)
        result.idleBeforeLookups = idleBefore
        if idleSeconds > 0 { result.idleAfterLookups = measureIdle(runners, seconds: idleSeconds / 2) }
        return result
    }

    /// Loopback traffic per node per minute over `seconds`, in two windows (OpenDHT's maintenance comes in bursts).
    private func measureIdle(_ runners: [DHTRunner], seconds: Double) -> [(bytes: Double, packets: Double)] {
        var windows: [(bytes: Double, packets: Double)] = []
        for _ in 0..<2 {
            for runner in runners { _ = runner.events.drain() }
            let before = Self.loopbackCounters()
            Thread.sleep(forTimeInterval: seconds / 2)
            let after = Self.loopbackCounters()
            let perNodeMinute = 60 / (seconds / 2) / Double(nodes)
            windows.append((Double(after.bytes - before.bytes) * perNodeMinute, Double(after.packets - before.packets) * perNodeMinute))
        }
        return windows
    }

    /// Bytes and packets sent on loopback (every datagram between two local runners is sent once).
    static func loopbackCounters() -> (bytes: Int, packets: Int) {
        func read(_ name: String) -> Int {
            Int(((try? String(contentsOfFile: "/sys/class/net/lo/statistics/\(name)", encoding: .utf8)) ?? "0")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        return (read("tx_bytes"), read("tx_packets"))
    }
}
