import ArgumentParser
import Dispatch
import Foundation
import HoplineCore
import HoplineNet

extension Hopline {
    /// `hopline impair`: a UDP proxy that impairs traffic between two processes or network namespaces.
    struct Impair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forward UDP through a seeded, deterministic network impairment (a user-space netem).",
            discussion: """
                Datagrams sent to --listen go to --forward, impaired; replies from --forward go back to the \
                client that sent last, impaired by an independent random stream of the same spec (or not at \
                all with --one-way). The first line printed is `listening on HOST:PORT, ...` (the real port \
                when --listen asks for port 0); then one status line per --stats-interval, and the final \
                counters on SIGINT, SIGTERM or at the end of --duration.

                \(ImpairmentSpec.grammarHelp)
                """)

        @Option(help: ArgumentHelp("Address clients send to; port 0 picks a free port (printed).", valueName: "host:port"))
        var listen: String

        @Option(help: ArgumentHelp("Address datagrams are forwarded to.", valueName: "host:port"))
        var forward: String

        @Option(help: ArgumentHelp("The impairment: key=value items and/or a preset (see below).", valueName: "spec"))
        var impair = "clean"

        @Flag(name: .customLong("one-way"), help: "Impair only client -> forward; replies pass untouched.")
        var oneWay = false

        @Flag(name: .customLong("media-only"), help: "Impair only RTP media; handshake, signaling and RTCP pass untouched (as in the loopback lab).")
        var mediaOnly = false

        @Option(help: ArgumentHelp("Stop after this many seconds (default: run until SIGINT or SIGTERM).", valueName: "seconds"))
        var duration: Double?

        @Option(name: .customLong("stats-interval"), help: ArgumentHelp("Print the counters every N seconds; 0: only at the end.", valueName: "seconds"))
        var statsInterval: Double = 5

        func validate() throws {
            if let duration, !(duration > 0 && duration <= 31_536_000) {
                throw ValidationError("--duration \(duration) is out of range (expected more than 0, at most 31536000 seconds)")
            }
            if !(statsInterval >= 0 && statsInterval <= 86_400) {
                throw ValidationError("--stats-interval \(statsInterval) is out of range (expected 0...86400 seconds)")
            }
        }

        func run() throws {
            let spec: ImpairmentSpec
            let listenAddress: PeerAddress, forwardAddress: PeerAddress
            do {
                spec = try ImpairmentSpec(parsing: impair)
                listenAddress = try PeerAddress(parsing: listen)
                forwardAddress = try PeerAddress(parsing: forward)
            } catch {
                throw CLIError("\(error)")
            }
            let stop = StopSignals()
            let proxy: ImpairmentProxy
            do {
                proxy = try ImpairmentProxy.start(
                    listen: listenAddress, forward: forwardAddress, spec: spec, impairReplies: !oneWay, mediaOnly: mediaOnly)
            } catch {
                throw CLIError("\(error)")
            }
            defer { proxy.close() }
            let directions = (oneWay ? "client->forward only" : "both directions") + (mediaOnly ? ", RTP media only" : "")
            emit("listening on \(proxy.listenAddress), forwarding to \(proxy.forwardAddress) from \(proxy.upstreamAddress)")
            emit("impairment \(spec) (\(directions))")

            let start = DispatchTime.now()
            let end = duration.map { start + $0 }
            var nextStatus = statsInterval > 0 ? start + statsInterval : nil
            var reason = "after --duration"
            while true {
                let wake = [end, nextStatus].compactMap { $0 }.min() ?? .distantFuture
                if let signal = stop.wait(until: wake) {
                    reason = "on \(signal)"
                    break
                }
                let now = DispatchTime.now()
                if let end, now >= end { break }
                if let status = nextStatus, now >= status {
                    emit("\(elapsed(since: start))  \(proxy.statistics)")
                    nextStatus = status + statsInterval
                }
            }
            emit("final \(reason), \(elapsed(since: start)): \(proxy.statistics)")
        }

        private func elapsed(since start: DispatchTime) -> String {
            String(format: "%.1f s", Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }

        /// Prints a line and flushes, so a log file or a test reading stdout sees it at once.
        private func emit(_ line: String) {
            print(line)
            fflush(nil)  // every C stream, stdout included
        }
    }
}
