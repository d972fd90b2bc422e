import ArgumentParser

extension Hopline {
    /// `hopline relay`: run a volunteer relay (`serve`, the default) or read a running one's metrics (`status`).
    struct Relay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a volunteer relay for calls that cannot connect directly, or show a relay's status.",
            discussion: """
                `hopline relay --listen 0.0.0.0:4740` forwards the encrypted packets of relayed calls between \
                the two ends of each session (it never decrypts anything). `hopline relay status --metrics \
                HOST:PORT` prints a running relay's counters. See README "Volunteer relays".
                """,
            subcommands: [Serve.self, Status.self],
            defaultSubcommand: Serve.self)
    }
}
