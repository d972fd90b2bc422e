import ArgumentParser
import Foundation
import HoplineDiscovery
import HoplineNet
import HoplineNode

extension Hopline.DHT {
    /// `hopline dht status`: a short-lived runner joins the DHT and reports what a user wants to know before
    /// relying on it: does the bootstrap answer, what public address do peers see, is this node's presence
    /// findable (and how old), and which relays the directory lists.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the DHT briefly and report: bootstrap nodes, public address, this node's presence, relays.",
            discussion: """
                A running `hopline listen` has no control socket, so this starts its own short-lived runner (on \
                an ephemeral port, never the node's) with the same [dht] settings and --dht-bootstrap, and asks \
                the network what everyone else sees: whether each bootstrap node answers (and how fast), the \
                address DHT peers see this machine at, the presence record of this node's ID (--identity: is \
                the running listener findable, with its candidates and age), the relay directory (each \
                verified relay with its load), and the peers the runner knows after those lookups. Values that fail verification are counted by reason. Exit \
                status 1 when no bootstrap node answers.
                """)

        @OptionGroup(title: "DHT")
        var dht: DHTOptions

        @Option(help: ArgumentHelp("Identity file whose node's presence to check (default: $XDG_CONFIG_HOME/hopline/identity).", valueName: "path"))
        var identity: String?

        @OptionGroup
        var config: ConfigOption

        func run() throws {
            let settings = try dht.required(configured: config.load().dht, command: "hopline dht status")
            // Only an existing identity is checked: a status command must not create one as a side effect.
            let store = IdentityStore(path: identity)
            let node: NodeIdentity?
            if FileManager.default.fileExists(atPath: store.path) {
                do { node = try store.load() } catch { throw CLIError("\(error)") }
            } else {
                node = nil
            }
            let (runner, answers) = try startCommandRunner(settings)
            defer { runner.shutdown() }
            print("network      \(settings.network)")
            for (bootstrap, milliseconds) in answers {
                print("bootstrap    \(bootstrap): " + (milliseconds.map { String(format: "answered in %.0f ms", $0) } ?? "no answer within 3 s"))
            }
            guard answers.contains(where: { $0.1 != nil }) else { throw CLIError("no DHT bootstrap node answered") }
            let keys: [DHTKey] = (node.map { [.presence(of: $0.nodeID)] } ?? []) + [.relayDirectory]
            let found: (values: [DHTKey: [[UInt8]]], unfinished: Set<DHTKey>)
            do { found = try runner.getMany(keys, timeoutSeconds: 5) } catch { throw CLIError("\(error)") }
            let publicAddresses = runner.publicAddresses()
            print("seen at      " + (publicAddresses.isEmpty ? "unknown (no peer reported it yet)" : publicAddresses.compactMap(\.socketAddress.ipAddress).joined(separator: ", ")))
            var verifier = RecordVerifier()
            let now = WallClock.milliseconds()
            if let node {
                reportPresence(of: node, values: found.values[.presence(of: node.nodeID)] ?? [], verifier: &verifier, now: now)
            } else {
                print("this node    no identity at \(store.path) (give --identity PATH to check a node's presence)")
            }
            let directory = verifier.newestPerNode(of: found.values[.relayDirectory] ?? [], kind: .relay, nowMilliseconds: now)
            let relays = directory.compactMap { try? RelayAnnouncement(body: $0.body) }
            print("relays       \(relays.count) in the directory")
            for relay in relays {
                print("             \(relay.address)  \(relay.sessions)/\(relay.capacity) sessions" + (relay.draining ? "  draining" : ""))
            }
            if let statistics = runner.statistics {
                print("peers known  \(statistics.knownNodes) (\(statistics.goodNodes) good, \(statistics.dubiousNodes) dubious) to this "
                    + "runner after its lookups; it stores \(statistics.storedValues) value(s), \(statistics.storedBytes) bytes")
            }
            let storedValues = found.values.values.reduce(0) { $0 + $1.count }
            let rejected = verifier.rejections.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
            print("values       \(storedValues) read, \(verifier.accepted) verified"
                + (rejected.isEmpty ? "" : ", rejected: \(rejected.joined(separator: ", "))")
                + (found.unfinished.isEmpty ? "" : "; \(found.unfinished.count) lookup(s) unfinished after 5 s"))
        }

        private func reportPresence(of node: NodeIdentity, values: [[UInt8]], verifier: inout RecordVerifier, now: UInt64) {
            if let record = verifier.newest(of: values, kind: .presence, about: node.nodeID, nowMilliseconds: now),
                let presence = try? PresenceRecord(body: record.body)
            {
                print(String(format: "this node    %@ is findable: record %.1f s old, ", node.nodeID.abbreviated,
                    Double(Int64(now) - Int64(record.issuedMilliseconds)) / 1000)
                    + presence.candidates.map(\.description).joined(separator: ", "))
            } else {
                print("this node    \(node.nodeID.abbreviated) has no valid presence record (is `hopline listen --dht-bootstrap ...` running with this identity?)")
            }
        }
    }
}
