import ArgumentParser
import HoplineNet
import HoplineNode

extension Hopline {
    /// `hopline listen`: wait for calls (and serve as a rendezvous for other nodes).
    struct Listen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for calls on one UDP port; also serves as a rendezvous for other nodes.",
            discussion: """
                Incoming calls ring and ask y/n on the terminal (no terminal: rejected) unless --auto-answer. \
                A second caller while in a call hears busy. With --rendezvous the node registers there (signed) \
                and keeps its NAT mapping open, so `hopline call NODE-ID --rendezvous HOST:PORT` finds it. With \
                --dht-bootstrap it publishes its signed presence in the DHT and answers connection requests there, \
                so `hopline call NODE-ID --dht-bootstrap HOST:PORT` finds it with no rendezvous. \
                Without --play the microphone is sent; without --record the speaker plays. Ctrl-C hangs up \
                and stops.
                """)

        @Flag(name: .customLong("auto-answer"), help: "Answer every allowed call at once.")
        var autoAnswer = false

        @Option(name: .customLong("accept-from"), parsing: .upToNextOption, help: ArgumentHelp("Only these node IDs may call.", valueName: "node-id"))
        var acceptFrom: [String] = []

        @OptionGroup(title: "Network")
        var network: NodeNetworkOptions

        @OptionGroup(title: "Audio and statistics")
        var media: CallMediaOptions

        @OptionGroup(title: "Codec")
        var codec: CodecOptions

        @OptionGroup
        var config: ConfigOption

        func run() throws {
            var allowed: Set<NodeID> = []
            for text in acceptFrom {
                do { allowed.insert(try NodeID(parsing: text)) } catch { throw CLIError("--accept-from '\(text)': \(error)") }
            }
            let configuration = try config.load()
            let relay = try RunningRelay.startEmbedded(configuration.relay)  // [relay] enabled = true
            defer { relay?.close() }
            let settings = try NodeSettings(
                network: network, media: media, codec: codec, configuration: configuration,
                defaultBind: configuration.listenBind.description)
            let node = try network.startNode(settings)
            do {
                try node.listen(policy: ListenPolicy(autoAnswer: autoAnswer, acceptFrom: allowed))
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}
