import ArgumentParser
import HoplineNet
import HoplineNode
import HoplineRelay
import NIOPosix

extension Hopline.Relay {
    /// `hopline relay status`: fetch a relay's metrics endpoint and print it as a table.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a running relay's counters, read from its --metrics endpoint.")

        @Option(help: ArgumentHelp("The relay's metrics endpoint (default: [relay] metrics).", valueName: "host:port"))
        var metrics: String?

        @Option(help: ArgumentHelp("Give up after this many seconds.", valueName: "seconds"))
        var timeout: Double = 5

        @Flag(help: "Print the raw Prometheus text instead of the table.")
        var raw = false

        @OptionGroup
        var config: ConfigOption

        func validate() throws {
            if let metrics {
                do { _ = try PeerAddress(parsing: metrics) } catch { throw ValidationError("--metrics: \(error)") }
            }
            guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout \(timeout) is out of range (expected more than 0, at most 600 seconds)") }
        }

        func run() throws {
            let address: PeerAddress
            if let metrics {
                address = try PeerAddress(parsing: metrics)
            } else if let configured = try config.load().relay.metrics {
                address = configured
            } else {
                throw CLIError("no metrics endpoint: pass --metrics HOST:PORT (the relay's --metrics) or set [relay] metrics")
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let text: String
            do {
                text = try RelayStatusClient.fetchMetrics(from: address, group: group, timeoutSeconds: timeout)
            } catch {
                throw CLIError("\(error)")
            }
            if raw {
                print(text, terminator: "")
                return
            }
            let report = RelayStatusReport(parsing: text)
            guard report.isRelay else { throw CLIError("\(address) answered, but with no hopline_relay_* metrics: is it a Hopline relay?") }
            print(report.table(source: "\(address)"))
        }
    }
}
