import ArgumentParser

/// The `hopline` command: one root, one file per subcommand under `Subcommands/`.
@main
struct Hopline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hopline",
        abstract: "Peer-to-peer voice calls over UDP with Opus.",
        discussion: """
            Try it without a network or sound card: `hopline loopback --in speech.wav --out received.wav` \
            sends a WAV file through a complete call pipeline on this machine and prints a report.
            """,
        version: "0.1.0",
        subcommands: [Loopback.self, Devices.self, Id.self, Impair.self, Listen.self, Call.self, Relay.self, Lookup.self, DHT.self]
    )
}
