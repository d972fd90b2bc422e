import ArgumentParser
import HoplineNode

extension Hopline {
    /// `hopline id`: prints this node's ID, creating the identity on first use.
    struct Id: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print this node's ID (creating its identity on first use).",
            discussion: """
                The node ID (hl- and 54 characters) is what others put in their contacts to call this node. \
                The identity's private keys live in $XDG_CONFIG_HOME/hopline/identity (~/.config/hopline/identity), \
                mode 0600; the first run creates them and says so on stderr.
                """)

        @Option(
            name: .customLong("identity"),
            help: ArgumentHelp(
                "Identity file (default: $XDG_CONFIG_HOME/hopline/identity).", valueName: "path"))
        var identityPath: String?

        func run() throws {
            let store = IdentityStore(path: identityPath)
            do {
                let (identity, created) = try store.loadOrCreate()
                if created { writeToStderr("created new identity at \(store.path)\n") }
                print(identity.nodeID)
            } catch {
                throw CLIError(error.description)
            }
        }
    }
}
