import ArgumentParser
import Foundation

/// `hopline-dht-bench` (`make bench-dht`, bench/README.md): serverless discovery measured end to end.
/// 1. A 50-node OpenDHT network in this process (one runner and UDP port each, on loopback), every node's
///    signed presence published; then `--lookups` resolutions of a random node ID from a random node, one
///    at a time: p50/p95/max until the newest verified record is in hand and OpenDHT's lookup is done.
/// 2. The DHT's own traffic while idle: loopback bytes and packets per node per minute over `--idle-seconds` (in four windows)
///    (only inside a private network namespace, where loopback carries nothing else: `--private-netns`).
/// 3. `hopline call` to first audio played (wall clock from spawning the caller to its "first audio played"
///    line), direct and relayed, each with its baseline in the same run: the same call to `NODE-ID@HOST:PORT`
///    (and `--relay` by hand), which needs no DHT. The relayed calls need the private namespace too (an
///    nftables rule drops the direct path).
@main
struct DHTBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hopline-dht-bench",
        abstract: "Benchmark discovery on OpenDHT: resolution time, idle traffic, call to first audio.")

    @Option(help: ArgumentHelp("The hopline binary (release build).", valueName: "path"))
    var hopline: String

    @Option(help: ArgumentHelp("The dhtnode binary.", valueName: "path"))
    var dhtnode = "/usr/bin/dhtnode"

    @Option(help: ArgumentHelp("A WAV file both ends play.", valueName: "path"))
    var sample: String

    @Option(help: ArgumentHelp("Folder for the result table and scratch files.", valueName: "dir"))
    var out: String

    @Option(help: "Runners in the local network.")
    var nodes = 50

    @Option(help: "Resolutions measured.")
    var lookups = 500

    @Option(name: .customLong("idle-seconds"), help: "How long the idle traffic is measured.")
    var idleSeconds = 120.0

    @Option(help: "Calls per kind (direct/relayed, DHT/baseline).")
    var calls = 5

    @Flag(name: .customLong("private-netns"), help: "Running in a private network namespace (root): measure idle traffic and relayed calls.")
    var privateNetns = false

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var report: [String] = ["# hopline-dht-bench", "", "machine: \(ProcessInfo.processInfo.processorCount) cores; \(nodes) runners; network 18508", ""]
        let resolution = try ResolutionBench(nodes: nodes).run(lookups: lookups, idleSeconds: privateNetns ? idleSeconds : 0)
        report += resolution.lines(privateNetns: privateNetns)
        let timing = try CallTiming(hopline: hopline, dhtnode: dhtnode, sample: sample, scratch: out + "/dht-scratch")
        report += try timing.run(calls: calls, relayed: privateNetns)
        let text = report.joined(separator: "\n") + "\n"
        print(text, terminator: "")
        try text.write(toFile: out + "/dht.md", atomically: true, encoding: .utf8)
        print("written to \(out)/dht.md")
    }
}

/// p50, p95 and max of a sample (nearest rank).
func percentiles(_ values: [Double]) -> (p50: Double, p95: Double, max: Double) {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return (.nan, .nan, .nan) }
    func rank(_ p: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
    return (rank(0.5), rank(0.95), sorted[sorted.count - 1])
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
