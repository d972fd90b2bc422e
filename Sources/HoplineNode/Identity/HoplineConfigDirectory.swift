import Foundation

/// Where Hopline's per-user files live: `$XDG_CONFIG_HOME/hopline/`, else `~/.config/hopline/`.
enum HoplineConfigDirectory {
    /// The path of `name` in the configuration directory.
    static func path(of name: String, environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/hopline/" + name }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/hopline/" + name
    }
}
