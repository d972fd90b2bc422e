import ArgumentParser

extension Hopline {
    /// `hopline dht`: the DHT as this machine sees it (`status`).
    struct DHT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dht",
            abstract: "Check Hopline's DHT: bootstrap, this node's presence, the relay directory.",
            subcommands: [Status.self],
            defaultSubcommand: Status.self)
    }
}
