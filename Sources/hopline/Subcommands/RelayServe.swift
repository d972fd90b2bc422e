import ArgumentParser
import Dispatch
import Foundation
import HoplineDiscovery
import HoplineNet
import HoplineNode
import HoplineRelay
import NIOPosix

extension Hopline.Relay {
    /// `hopline relay [serve]`: the relay service in the foreground until SIGTERM/SIGINT, then a drain.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run a relay (the default): forward relayed calls until SIGTERM or SIGINT, then drain.",
            discussion: """
                The first line printed is `relay listening on HOST:PORT ...` (the real port when --listen asks \
                for port 0), then `metrics at http://HOST:PORT/metrics` with --metrics. On a terminal one status \
                line follows every second (--no-status turns it off). SIGTERM or SIGINT starts a drain: both \
                ends of every session are told to move (DRAIN), new sessions are refused, and the relay exits \
                with status 0 when none is left or after --drain-timeout; a second signal exits at once. The \
                last line is a summary.
                """)

        @OptionGroup(title: "Relay")
        var relay: RelayOptions

        @Flag(name: .customLong("no-status"), help: "No per-second status line, even on a terminal.")
        var noStatus = false

        @Option(help: ArgumentHelp("Identity file: the node ID the relay answers as a rendezvous (default: $XDG_CONFIG_HOME/hopline/identity).", valueName: "path"))
        var identity: String?

        @OptionGroup(title: "DHT")
        var dht: DHTOptions

        @Option(name: .customLong("dht-announce"), help: ArgumentHelp("The address to announce in the DHT's relay directory (default: the --listen address, or this machine's first non-loopback IPv4 address with its port when --listen is a wildcard).", valueName: "host:port"))
        var dhtAnnounce: String?

        @OptionGroup
        var config: ConfigOption

        func validate() throws {
            if let dhtAnnounce { _ = try parseAddress(dhtAnnounce, flag: "--dht-announce") }
        }

        func run() throws {
            let stop = StopSignals()  // before any thread starts, so every thread inherits the blocked mask
            let configuration = try config.load()
            let settings = try relay.settings(configuration.relay)
            let dhtSettings = try dht.settings(configured: configuration.dht)
            // Every relay is also a rendezvous node: bind, identity and rendezvous packets on its port get
            // the answers any node gives.
            let nodeIdentity: NodeIdentity
            do {
                let (loaded, created) = try IdentityStore.loadOrCreate(path: identity)
                if created { writeToStderr("created a new identity: node ID \(loaded.nodeID)\n") }
                nodeIdentity = loaded
            } catch {
                throw CLIError("\(error)")
            }
            let rendezvous = RendezvousResponder(identity: nodeIdentity)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let running: RunningRelay
            do {
                running = try RunningRelay.start(settings, group: group) { rendezvous.handle($0) }
            } catch {
                throw CLIError("\(error)")
            }
            defer { running.close() }
            rendezvous.attach(to: running.server)
            emit("relay listening on \(running.server.localAddress) (\(settings.summary))")
            emit("rendezvous on the same port as \(nodeIdentity.nodeID)")
            if let endpoint = running.endpoint { emit("metrics at http://\(endpoint.localAddress)/metrics") }
            let announcer = try startAnnouncing(dhtSettings, identity: nodeIdentity, relayAddress: running.server.localAddress)
            defer { announcer?.runner.shutdown() }
            func announce(draining: Bool) {
                guard let announcer else { return }
                if let note = announcer.announcer.tick(
                    nowMilliseconds: WallClock.milliseconds(), capacity: settings.maxSessions,
                    sessions: running.server.statistics.sessionsActive, draining: draining)
                {
                    emit("DHT: \(note)")
                }
            }
            announce(draining: false)

            let start = DispatchTime.now()
            let showStatus = !noStatus && isatty(STDOUT_FILENO) == 1
            var previous = running.server.statistics
            var nextStatus = start + 1
            var caught: String?
            while caught == nil {
                caught = stop.wait(until: nextStatus)
                announce(draining: false)
                if caught == nil, showStatus {
                    let now = running.server.statistics
                    emit(Self.statusLine(now, previous: previous, capacity: settings.maxSessions, elapsed: elapsed(since: start)))
                    previous = now
                }
                nextStatus = nextStatus + 1
            }
            let active = running.server.statistics.sessionsActive
            emit("\(caught ?? "stop"): draining \(active) session(s) (up to \(settings.drainTimeoutSeconds) s)")
            running.server.beginDraining()
            announce(draining: true)
            let deadline = DispatchTime.now() + settings.drainTimeoutSeconds
            var outcome = "drained"
            while running.server.statistics.sessionsActive > 0 {
                guard DispatchTime.now() < deadline else {
                    outcome = "drain timeout"
                    break
                }
                if let second = stop.wait(until: min(deadline, DispatchTime.now() + 0.05)) {
                    outcome = "stopped by a second \(second)"
                    break
                }
            }
            let final = running.server.statistics
            let served = rendezvous.counters.rendezvous
            emit("relay stopped after \(elapsed(since: start)): \(outcome), \(final.sessionsActive) session(s) left; "
                + "\(final.packetsForwarded) packets (\(final.bytesForwarded) bytes) forwarded, "
                + "\(final.sessionsCreated) session(s) created, \(final.totalDrops) dropped, \(final.totalRefusals) refused, "
                + "\(final.rateLimitHits) rate-limited; as rendezvous \(served.registrations) registration(s), "
                + "\(served.lookups) lookup(s)")
        }

        /// With a DHT bootstrap node: a runner that joins the DHT and a `RelayAnnouncer` for this relay's entry in
        /// the relay directory (nil without one).
        private func startAnnouncing(
            _ settings: DHTSettings, identity: NodeIdentity, relayAddress: PeerAddress
        ) throws -> (runner: DHTRunner, announcer: RelayAnnouncer)? {
            guard settings.enabled else { return nil }
            let address: PeerAddress
            if let dhtAnnounce {
                address = try parseAddress(dhtAnnounce, flag: "--dht-announce")
            } else if let host = HostCandidates.gather(local: relayAddress).first?.address, host.socketAddress.ipAddress != "0.0.0.0" {
                address = host
            } else {
                throw CLIError("the relay listens on \(relayAddress) and this machine has no non-loopback IPv4 address to announce; give --dht-announce HOST:PORT")
            }
            // A DHT node ID derived from the identity: a restarted relay takes its old place in the routing tables.
            var dht = settings
            dht.nodeID = DHTKey(label: "hopline dht node v1 relay", subject: identity.nodeID.publicKey).bytes
            let runner: DHTRunner
            do { runner = try DHTRunner(settings: dht) } catch { throw CLIError("\(error)") }
            for node in settings.bootstrap {
                let answered = runner.bootstrapAndWait(node, timeoutSeconds: 3) == true
                emit("DHT: bootstrap node \(node) " + (answered ? "answered" : "did not answer within 3 s (OpenDHT keeps retrying)"))
            }
            return (runner, RelayAnnouncer(runner: runner, identity: identity, address: address))
        }

        static func statusLine(_ now: RelayStatistics, previous: RelayStatistics, capacity: Int, elapsed: String) -> String {
            let packets = now.packetsForwarded - previous.packetsForwarded
            let kbits = (now.bytesForwarded - previous.bytesForwarded) * 8 / 1000
            return "\(elapsed)  sessions \(now.sessionsActive)/\(capacity)  forwarding \(packets) pkt/s \(kbits) kbit/s  "
                + "total \(now.packetsForwarded) pkt  dropped \(now.totalDrops)  refused \(now.totalRefusals)"
                + (now.draining ? "  draining" : "")
        }

        private func elapsed(since start: DispatchTime) -> String {
            String(format: "%.1f s", Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }

        private func emit(_ line: String) {
            print(line)
            fflush(nil)
        }
    }
}

/// A relay socket and its optional metrics endpoint, started together (by `relay serve` and by `listen`
/// with `[relay] enabled = true`) and closed together.
struct RunningRelay {
    let server: RelayServer
    let endpoint: RelayMetricsEndpoint?
    /// Set when the relay brought its own event loop (the one inside `listen`); shut down by `close()`.
    var ownGroup: MultiThreadedEventLoopGroup?

    /// The relay `hopline listen` runs next to the node when `[relay] enabled = true` (nil otherwise), on
    /// its own event-loop thread; announced on stderr.
    static func startEmbedded(_ settings: RelaySettings) throws -> RunningRelay? {
        guard settings.enabled else { return nil }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var running = try start(settings, group: group, nonRelaySink: nil)
            running.ownGroup = group
            writeToStderr("relay listening on \(running.server.localAddress) (\(settings.summary))\n")
            return running
        } catch {
            try? group.syncShutdownGracefully()
            throw CLIError("relay: \(error)")
        }
    }

    static func start(
        _ settings: RelaySettings, group: MultiThreadedEventLoopGroup, nonRelaySink: (@Sendable (InboundDatagram) -> Void)?
    ) throws -> RunningRelay {
        let server = try RelayServer.bind(to: settings.listen, limits: settings.limits, group: group, nonRelaySink: nonRelaySink)
        guard let metricsAddress = settings.metrics else { return RunningRelay(server: server, endpoint: nil, ownGroup: nil) }
        let metrics = RelayMetrics(counters: server.counters, capacity: settings.maxSessions)
        do {
            let endpoint = try RelayMetricsEndpoint.start(at: metricsAddress, group: group, render: metrics.render)
            return RunningRelay(server: server, endpoint: endpoint, ownGroup: nil)
        } catch {
            server.close()
            throw error
        }
    }

    func close() {
        endpoint?.close()
        server.close()
        try? ownGroup?.syncShutdownGracefully()
    }
}
