import Foundation

/// `hopline call` to first audio, over real processes on loopback: a `dhtnode` bootstrap node, a rendezvous
/// (the baseline's way of finding the callee), the callee (`listen` with both `--rendezvous` and
/// `--dht-bootstrap`), and for relayed calls a relay announcing itself in the DHT, with an nftables rule
/// dropping the direct path between caller and callee.
final class CallTiming {
    let hopline: String
    let dhtnode: String
    let sample: String
    let scratch: String
    private var children: [Process] = []

    init(hopline: String, dhtnode: String, sample: String, scratch: String) throws {
        self.hopline = hopline
        self.dhtnode = dhtnode
        self.sample = sample
        self.scratch = scratch
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    deinit { for child in children where child.isRunning { child.terminate() } }

    private func spawn(_ path: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        for path in [log, log + ".out"] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchFailure("cannot create \(path)") }
        }
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle(forWritingAtPath: log + ".out")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        children.append(process)
        return process
    }

    /// Waits until `needle` is in the file (polled every 2 ms); the seconds it took, nil on timeout.
    private func wait(for needle: String, in path: String, timeout: Double) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(needle) { return Date().timeIntervalSince(start) }
            usleep(2_000)
        }
        return nil
    }

    private func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// One call: milliseconds from spawning `hopline call` to its "first audio played" line.
    private func timeCall(_ arguments: [String], expect path: String, index: Int) throws -> Double {
        let log = "\(scratch)/call-\(index).err"
        let start = Date()
        let process = try spawn(hopline, ["call"] + arguments + [
            "--identity", "\(scratch)/a.id", "--play", sample, "--no-speaker", "--duration", "0.5", "--no-status",
        ], log: log)
        guard wait(for: "first audio played", in: log, timeout: 15) != nil else {
            process.terminate()
            throw BenchFailure("call \(arguments) played no audio: \(text(log))")
        }
        let elapsed = Date().timeIntervalSince(start) * 1000
        process.waitUntilExit()
        guard text(log).contains("(\(path))") else { throw BenchFailure("call \(arguments) did not go \(path): \(text(log))") }
        return elapsed
    }

    func run(calls: Int, relayed: Bool) throws -> [String] {
        let base = Int.random(in: 30_000..<50_000)
        let bootstrap = "127.0.0.1:\(base)", rendezvous = "127.0.0.1:\(base + 1)", callee = "127.0.0.1:\(base + 2)"
        let relay = "127.0.0.1:\(base + 3)", caller = "127.0.0.1:\(base + 4)"
        _ = try spawn(dhtnode, ["-n", "18508", "-p", "\(base)", "-s"], log: "\(scratch)/dhtnode.err")
        _ = try spawn(hopline, ["listen", "--identity", "\(scratch)/r.id", "--bind", rendezvous, "--no-microphone", "--no-speaker", "--no-status"], log: "\(scratch)/rendezvous.err")
        _ = try spawn(hopline, [
            "listen", "--identity", "\(scratch)/b.id", "--bind", callee, "--rendezvous", rendezvous, "--dht-bootstrap", bootstrap,
            "--auto-answer", "--play", sample, "--no-speaker", "--no-status",
        ], log: "\(scratch)/callee.err")
        guard wait(for: "DHT: presence record stored", in: "\(scratch)/callee.err", timeout: 30) != nil,
            wait(for: "registered at rendezvous", in: "\(scratch)/callee.err", timeout: 30) != nil,
            let range = text("\(scratch)/callee.err").range(of: " as hl-")
        else { throw BenchFailure("the callee did not start: \(text("\(scratch)/callee.err"))") }
        let id = "hl-" + text("\(scratch)/callee.err")[range.upperBound...].prefix { !$0.isWhitespace }
        var index = 0
        var results: [(String, [Double], [Double])] = []
        var direct: ([Double], [Double]) = ([], [])
        for _ in 0..<calls {
            index += 1
            direct.0.append(try timeCall([id, "--rendezvous", rendezvous], expect: "direct", index: index))
            index += 1
            direct.1.append(try timeCall([id, "--dht-bootstrap", bootstrap], expect: "direct", index: index))
        }
        results.append(("direct", direct.0, direct.1))
        if relayed {
            _ = try spawn(hopline, [
                "relay", "--listen", relay, "--allow-loopback-peers", "--identity", "\(scratch)/relay.id", "--no-status",
                "--dht-bootstrap", bootstrap, "--dht-announce", relay, "--drain-timeout", "0",
            ], log: "\(scratch)/relay.err")
            guard wait(for: "announced in the DHT relay directory", in: "\(scratch)/relay.err.out", timeout: 30) != nil else {
                throw BenchFailure("the relay did not announce itself: \(text("\(scratch)/relay.err.out"))")
            }
            try blockDirectPath(callerPort: base + 4, calleePort: base + 2)
            var relayedTimes: ([Double], [Double]) = ([], [])
            for _ in 0..<calls {
                index += 1
                relayedTimes.0.append(try timeCall([id, "--rendezvous", rendezvous, "--relay", relay, "--bind", caller], expect: "relay", index: index))
                index += 1
                relayedTimes.1.append(try timeCall([id, "--dht-bootstrap", bootstrap, "--bind", caller], expect: "relay", index: index))
            }
            results.append(("relayed", relayedTimes.0, relayedTimes.1))
        }
        var lines = [
            "## `hopline call` to first audio played (\(calls) calls each, alternating; wall clock from spawning the caller)", "",
            "| path | baseline: rendezvous p50 | DHT p50 | DHT p95 | DHT max | ratio DHT/baseline (p50) | target | result |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for (name, baseline, dht) in results {
            let b = percentiles(baseline), d = percentiles(dht)
            lines.append(String(format: "| %@ | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.2f | 1500 ms | %@ |",
                name, b.p50, d.p50, d.p95, d.max, d.p50 / b.p50, d.max <= 1500 ? "PASS" : "FAIL"))
        }
        if !relayed { lines.append("relayed calls: not measured (the direct path is blocked with nftables inside a private network namespace: `make bench-dht` as root)") }
        lines.append("")
        return lines
    }

    private func blockDirectPath(callerPort: Int, calleePort: Int) throws {
        func nft(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nft")
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchFailure("nft \(arguments.joined(separator: " ")) failed") }
        }
        try nft(["add", "table", "inet", "hlbench"])
        try nft(["add", "chain", "inet", "hlbench", "in", "{", "type", "filter", "hook", "input", "priority", "0", ";", "}"])
        try nft(["add", "rule", "inet", "hlbench", "in", "udp", "sport", "\(callerPort)", "udp", "dport", "\(calleePort)", "drop"])
        try nft(["add", "rule", "inet", "hlbench", "in", "udp", "sport", "\(calleePort)", "udp", "dport", "\(callerPort)", "drop"])
    }
}
