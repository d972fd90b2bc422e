import ArgumentParser
import HoplineNet
import HoplineNode

extension Hopline {
    /// `hopline call`: place one call and stay in it until either side hangs up.
    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Call a contact, a node ID, NODE-ID@HOST:PORT or HOST:PORT.",
            discussion: """
                NAME is looked up in the contacts file. A bare NODE-ID is found in the DHT with --dht-bootstrap \
                (its signed presence record; a sealed connection request makes the callee punch toward this node, \
                and volunteer relays come from the DHT's directory) or through --rendezvous (both sides then punch \
                through their NATs). NODE-ID@HOST:PORT calls that address and proves it is that node. \
                A bare HOST:PORT first asks the node there for its ID and trusts it on first use (with a \
                warning). With --relay (or [relay] candidates) the call opens sessions on the two best relays: \
                one carries the call when no direct path works, the other stands by to take over if that path \
                dies. Without --play the microphone is sent; without --record the speaker plays. Ctrl-C \
                hangs up.
                """)

        @Argument(help: ArgumentHelp("Who to call.", valueName: "name|node-id|node-id@host:port|host:port"))
        var target: String

        @OptionGroup(title: "Network")
        var network: NodeNetworkOptions

        @OptionGroup(title: "Relays")
        var relay: CallRelayOptions

        @OptionGroup(title: "Audio and statistics")
        var media: CallMediaOptions

        @OptionGroup(title: "Codec")
        var codec: CodecOptions

        @OptionGroup
        var config: ConfigOption

        func run() throws {
            let configuration = try config.load()
            var settings = try NodeSettings(
                network: network, media: media, codec: codec, configuration: configuration, defaultBind: "0.0.0.0:0")
            settings.relays = try relay.addresses(configured: configuration.relayCandidates)
            let resolved = try resolveTarget()
            let node = try network.startNode(settings)
            do {
                try node.call(resolved)
            } catch {
                throw CLIError("\(error)")
            }
        }

        /// A contact name first, then the node-ID and address forms.
        /// A broken contacts file is reported only when the target is not a node ID or an address anyway.
        private func resolveTarget() throws -> CallTarget {
            let book: Result<ContactBook, ContactBookError> = Result { () throws(ContactBookError) in
                try ContactBook.load(explicitPath: nil)
            }
            if case .success(let book) = book, let contact = book.contact(named: target) {
                if let address = contact.address { return .pinned(contact.nodeID, address) }
                return .node(contact.nodeID)
            }
            do {
                return try CallTarget(parsing: target)
            } catch {
                if case .failure(let bookError) = book { throw CLIError("\(error); and the contacts file: \(bookError)") }
                throw CLIError("\(error)")
            }
        }
    }
}
