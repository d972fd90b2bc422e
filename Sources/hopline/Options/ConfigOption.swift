import ArgumentParser
import HoplineNode

/// The `--config` flag: which TOML file to read before applying command-line flags.
struct ConfigOption: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "Configuration file (default: $XDG_CONFIG_HOME/hopline/hopline.toml if present).", valueName: "path"))
    var path: String?

    func load() throws -> HoplineConfiguration {
        do {
            return try HoplineConfiguration.load(explicitPath: path)
        } catch {
            throw CLIError(error.description)
        }
    }
}
