import ArgumentParser
import Foundation
import HoplineDiscovery
import HoplineNet

extension Hopline {
    /// `hopline lookup NODE-ID`: what the DHT says about a node, verified, with the record's age.
    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look a node ID up in the DHT: its verified presence record, and how old it is.",
            discussion: """
                Starts a short-lived DHT runner, joins through --dht-bootstrap (or [dht] bootstrap), reads every \
                value stored under the node's presence key and prints the newest one that verifies: signed by \
                the key the node ID binds, not expired, not older than another. Values that fail are counted \
                by reason. Exit status 1 when no valid record is found.
                """)

        @Argument(help: ArgumentHelp("The node ID to look up.", valueName: "node-id"))
        var nodeID: String

        @OptionGroup(title: "DHT")
        var dht: DHTOptions

        @Option(help: ArgumentHelp("Seconds to wait for the lookup.", valueName: "s"))
        var timeout: Double = 5

        @OptionGroup
        var config: ConfigOption

        func validate() throws {
            guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout: \(timeout) (expected 0 < s <= 60)") }
        }

        func run() throws {
            let id: NodeID
            do { id = try NodeID(parsing: nodeID) } catch { throw CLIError("\(error)") }
            let settings = try dht.required(configured: config.load().dht, command: "hopline lookup")
            let (runner, answers) = try startCommandRunner(settings)
            defer { runner.shutdown() }
            guard answers.contains(where: { $0.1 != nil }) else {
                throw CLIError("no DHT bootstrap node answered within 3 s (\(settings.bootstrap.map(\.description).joined(separator: ", ")))")
            }
            let start = WallClock.milliseconds()
            let found: (values: [[UInt8]], done: Bool)
            do { found = try runner.getAll(.presence(of: id), timeoutSeconds: timeout) } catch { throw CLIError("\(error)") }
            let took = WallClock.milliseconds() - start
            var verifier = RecordVerifier()
            let now = WallClock.milliseconds()
            let record = verifier.newest(of: found.values, kind: .presence, about: id, nowMilliseconds: now)
            let rejected = verifier.rejections.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
            let summary = "\(found.values.count) value(s) at the key"
                + (rejected.isEmpty ? "" : "; rejected: \(rejected.joined(separator: ", "))")
                + (found.done ? "" : "; the lookup did not finish within \(timeout) s")
            guard let record, let presence = try? PresenceRecord(body: record.body) else {
                throw CLIError("\(id) was not found in the DHT (\(summary))")
            }
            print("node        \(id)")
            print(String(format: "record      sequence %llu, issued %.1f s ago, expires in %.0f s, protocol %d",
                record.sequence, Double(Int64(now) - Int64(record.issuedMilliseconds)) / 1000,
                Double(Int64(record.expiresMilliseconds) - Int64(now)) / 1000, Int(presence.protocolVersion)))
            for (index, candidate) in presence.candidates.enumerated() {
                print((index == 0 ? "candidates  " : "            ") + "\(candidate)")
            }
            if presence.candidates.isEmpty { print("candidates  none") }
            print("verified    signature by the key the node ID binds; \(summary)")
            print("resolved in \(took) ms")
        }
    }
}
