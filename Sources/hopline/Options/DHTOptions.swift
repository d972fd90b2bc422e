import ArgumentParser
import HoplineDiscovery

/// `--dht-bootstrap`, shared by `listen`, `call`, `lookup` and `dht status`.
struct DHTOptions: ParsableArguments {
    @Option(name: .customLong("dht-bootstrap"), help: ArgumentHelp("A DHT node to join through (repeatable; replaces [dht] bootstrap): listen publishes this node's presence, call finds node IDs and relays.", valueName: "host:port"))
    var bootstrap: [String] = []

    func validate() throws { _ = try nodes() }

    /// The `--dht-bootstrap` nodes (nil when none was given).
    func nodes() throws -> [DHTBootstrapNode]? {
        guard !bootstrap.isEmpty else { return nil }
        return try bootstrap.map { text in
            do { return try DHTBootstrapNode(parsing: text) } catch { throw ValidationError("--dht-bootstrap: \(error)") }
        }
    }

    /// `[dht]` with `--dht-bootstrap` on top.
    func settings(configured: DHTSettings) throws -> DHTSettings {
        var settings = configured
        if let nodes = try nodes() { settings.bootstrap = nodes }
        return settings
    }

    /// The settings of a command that needs the DHT: an error naming the flag when no bootstrap node is known.
    func required(configured: DHTSettings, command: String) throws -> DHTSettings {
        let settings = try settings(configured: configured)
        guard settings.enabled else {
            throw CLIError("\(command) needs a DHT bootstrap node: --dht-bootstrap HOST:PORT or [dht] bootstrap in the configuration")
        }
        return settings
    }
}

/// A short-lived runner for one command (`lookup`, `dht status`): started on an ephemeral port, bootstrapped,
/// shut down when the command ends. Returns the runner and, per bootstrap node, whether it answered and how
/// fast (ms).
func startCommandRunner(_ settings: DHTSettings) throws -> (runner: DHTRunner, answers: [(DHTBootstrapNode, Double?)]) {
    var ephemeral = settings
    ephemeral.port = 0  // a command's runner must not take the port a running node has
    let runner: DHTRunner
    do { runner = try DHTRunner(settings: ephemeral) } catch { throw CLIError("\(error)") }
    var answers: [(DHTBootstrapNode, Double?)] = []
    for node in settings.bootstrap {
        let start = WallClock.milliseconds()
        let ok = runner.bootstrapAndWait(node, timeoutSeconds: 3)
        answers.append((node, ok == true ? Double(WallClock.milliseconds() - start) : nil))
    }
    return (runner, answers)
}
