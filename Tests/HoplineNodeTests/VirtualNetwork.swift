import Foundation
import HoplineCore
@testable import HoplineNet
@testable import HoplineNode
import HoplineRelay

/// A simulated network on a virtual clock: hosts are `NodeCore`s (or any datagram handler) at addresses,
/// every datagram takes `latencyMilliseconds` (per destination host if set), and a host can be cut off
/// (`kill`) or a single datagram dropped by a filter. `run(for:)` advances time event by event — deliveries
/// and the nodes' own deadlines — so handshakes, retransmissions, probing and failover run exactly and fast.
final class VirtualNetwork {
    let clock = VirtualClock(start: ClockInstant(nanoseconds: 1_000_000_000))
    private struct Pending {
        var at: ClockInstant
        var order: Int
        var datagram: InboundDatagram
        var destination: PeerAddress
    }
    private var queue: [Pending] = []
    private var order = 0
    private var handlers: [PeerAddress: (InboundDatagram) -> Void] = [:]
    private var tickers: [(tick: (ClockInstant) -> Void, deadline: (ClockInstant) -> ClockInstant)] = []
    private(set) var dead: Set<PeerAddress> = []
    var latencyMilliseconds = 10.0
    /// Extra one-way latency for datagrams to one address.
    var extraLatency: [PeerAddress: Double] = [:]
    /// Return false to drop a datagram (source, destination, bytes).
    var filter: (PeerAddress, PeerAddress, [UInt8]) -> Bool = { _, _, _ in true }
    private(set) var delivered: [PeerAddress: Int] = [:]
    /// NAT: datagrams from a private address leave with its public address as source, and datagrams to the
    /// public address reach the private one. `remap` moves the mapping (a NAT that forgot it); datagrams to an
    /// old public address are then dropped.
    private var publicAddress: [PeerAddress: PeerAddress] = [:]
    private var privateAddress: [PeerAddress: PeerAddress] = [:]

    func remap(_ inside: PeerAddress, to outside: PeerAddress) {
        if let old = publicAddress[inside] { privateAddress[old] = nil }
        publicAddress[inside] = outside
        privateAddress[outside] = inside
    }

    /// A socket at `address` on this network.
    func socket(_ address: String) -> VirtualSocket { VirtualSocket(network: self, localAddress: try! PeerAddress(parsing: address)) }

    func attach(_ address: PeerAddress, handler: @escaping (InboundDatagram) -> Void) { handlers[address] = handler }

    func attachTicker(tick: @escaping (ClockInstant) -> Void, deadline: @escaping (ClockInstant) -> ClockInstant) {
        tickers.append((tick, deadline))
    }

    /// Adds a node: its datagrams arrive at `core.handle`, its time comes from `tick`/`nextDeadline`.
    func attach(_ core: NodeCore) {
        let address = core.environment.transport.localAddress
        attach(address) { core.handle($0) }
        attachTicker(tick: { core.tick(now: $0) }, deadline: { core.nextDeadline(now: $0) })
    }

    /// Cuts a host off: nothing reaches it and nothing it sends goes anywhere (a SIGKILLed relay).
    func kill(_ address: PeerAddress) { dead.insert(address) }

    func send(_ bytes: [UInt8], from inside: PeerAddress, to destination: PeerAddress) {
        guard !dead.contains(inside) else { return }
        let source = publicAddress[inside] ?? inside
        guard filter(source, destination, bytes) else { return }
        let latency = latencyMilliseconds + (extraLatency[destination] ?? 0) + (extraLatency[source] ?? 0)
        let now = clock.now()
        order += 1
        queue.append(Pending(
            at: now.advanced(byMilliseconds: latency), order: order,
            datagram: InboundDatagram(bytes: bytes, source: source, arrival: now), destination: destination))
    }

    /// Runs every delivery and deadline up to `seconds` from now.
    func run(for seconds: Double) {
        let end = clock.now().advanced(byMilliseconds: seconds * 1000)
        run(until: end)
    }

    func run(until end: ClockInstant) {
        var steps = 0
        while steps < 10_000_000 {
            steps += 1
            let now = clock.now()
            var next = end
            if let first = queue.min(by: { ($0.at, $0.order) < ($1.at, $1.order) }) { next = min(next, first.at) }
            for ticker in tickers { next = min(next, max(ticker.deadline(now), now.advanced(byNanoseconds: 100_000))) }
            if next > now { clock.advance(byNanoseconds: next.nanoseconds - now.nanoseconds) }
            let current = clock.now()
            let due = queue.filter { $0.at <= current }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
            queue.removeAll { $0.at <= current }
            for pending in due {
                // Through a NAT: the public address leads to the private host; a forgotten mapping leads nowhere.
                let destination = privateAddress[pending.destination] ?? pending.destination
                guard !dead.contains(destination), handlers[destination] != nil,
                    privateAddress[pending.destination] != nil || publicAddress[destination] == nil
                else { continue }
                var datagram = pending.datagram
                datagram.arrival = current
                delivered[destination, default: 0] += 1
                handlers[destination]?(datagram)
            }
            for ticker in tickers { ticker.tick(current) }
            if current >= end { return }
        }
    }

    /// Runs until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func run(atMost seconds: Double, until condition: () -> Bool) -> Bool {
        let end = clock.now().advanced(byMilliseconds: seconds * 1000)
        while clock.now() < end {
            if condition() { return true }
            run(until: min(end, clock.now().advanced(byMilliseconds: 5)))
        }
        return condition()
    }
}

/// A `DatagramTransport` on a `VirtualNetwork`.
final class VirtualSocket: DatagramTransport, @unchecked Sendable {
    let network: VirtualNetwork
    let localAddress: PeerAddress

    init(network: VirtualNetwork, localAddress: PeerAddress) {
        self.network = network
        self.localAddress = localAddress
    }

    func send(_ bytes: [UInt8], to destination: PeerAddress) { network.send(bytes, from: localAddress, to: destination) }
}

/// Nodes on a `VirtualNetwork`, built the way `NodeRuntime` builds them but without a socket or thread.
enum VirtualNodes {
    /// The `--stats` line `node` would write now (through the real `StatusReporter`, to a temporary file).
    static func stats(of node: NodeCore, on network: VirtualNetwork) throws -> CallStatus {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("virtual-stats-\(UInt32.random(in: 0 ... .max)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = node.environment.settings
        settings.statsPath = path
        let reporter = try StatusReporter(settings: settings, start: network.clock.now())
        reporter.report(now: network.clock.now(), core: node, socket: TransportStatistics(), final: true)
        guard let line = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return try JSONDecoder().decode(CallStatus.self, from: Data(line.utf8))
    }

    /// One second of a 440 Hz tone, repeated: something for the media to carry.
    static let tone: [Float] = (0..<48_000 * 20).map { 0.3 * sin(2 * Float.pi * 440 * Float($0) / 48_000) }

    static func node(
        _ network: VirtualNetwork, at address: String, identity: NodeIdentity = .generate(), events: EventLog? = nil,
        configure: (inout NodeSettings) -> Void = { _ in }
    ) -> NodeCore {
        let socket = network.socket(address)
        var settings = NodeSettings(bind: socket.localAddress, showStatusLine: false)
        settings.recordPath = "/nonexistent/never-written.wav"
        settings.playPath = "(the tone below, handed to NodeCore directly)"
        configure(&settings)
        let environment = NodeEnvironment(transport: socket, clock: network.clock, identity: identity, settings: settings) {
            events?.lines.append($0)
        }
        let core = NodeCore(environment: environment, playSamples: tone)
        network.attach(core)
        return core
    }

    /// A network with a listening callee at 192.0.2.2:4730 (auto-answer) and a caller at 192.0.2.1:5000.
    static func pair() -> (network: VirtualNetwork, caller: NodeCore, callee: NodeCore) {
        let network = VirtualNetwork()
        let callee = node(network, at: "192.0.2.2:4730")
        listen(callee)
        return (network, node(network, at: "192.0.2.1:5000"), callee)
    }

    static func listen(_ core: NodeCore) {
        core.calls.listenPolicy = ListenPolicy(autoAnswer: true)
        core.calls.releasesEndedCalls = true
    }
}

/// Collects a node's event lines for assertions and failure messages.
final class EventLog {
    var lines: [String] = []
    var text: String { lines.joined(separator: "\n") }
}

/// A volunteer relay on a `VirtualNetwork`: the real `RelayEngine` (cookies, tokens, sessions, limits,
/// drain), fed the way `RelayServer` feeds it, on the network's virtual clock.
final class VirtualRelay {
    let engine: RelayEngine
    let address: PeerAddress
    private let network: VirtualNetwork
    private let unixStart: UInt32 = 1_800_000_000

    init(_ network: VirtualNetwork, at address: String, limits: RelayLimits = RelayLimits()) {
        self.network = network
        self.address = try! PeerAddress(parsing: address)
        let start = network.clock.now()
        engine = RelayEngine(limits: limits, now: RelayInstant(monotonic: start, unixSeconds: unixStart))
        network.attach(self.address) { [unowned self] datagram in receive(datagram) }
        network.attachTicker(
            tick: { [unowned self] now in
                for (bytes, destination) in engine.tick(now: instant(now)) {
                    network.send(bytes, from: self.address, to: PeerAddress(destination))
                }
            },
            deadline: { $0.advanced(byNanoseconds: 50_000_000) })
    }

    private func instant(_ now: ClockInstant) -> RelayInstant {
        RelayInstant(monotonic: now, unixSeconds: unixStart + UInt32(max(0, now.seconds)))
    }

    private func receive(_ datagram: InboundDatagram) {
        let now = network.clock.now()
        if datagram.bytes.first == RelayPacketType.data.rawValue, let channel = RelayPacket.dataChannel(of: datagram.bytes) {
            if let destination = engine.forward(
                channel: channel, length: datagram.bytes.count, from: datagram.source.socketAddress, now: now)
            {
                network.send(datagram.bytes, from: address, to: PeerAddress(destination))
            }
            return
        }
        if let reply = engine.handleRequest(datagram.bytes, from: datagram.source.socketAddress, now: instant(now)) {
            network.send(reply, from: address, to: datagram.source)
        }
    }
}
