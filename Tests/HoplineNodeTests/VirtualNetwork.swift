import Foundation
import HoplineCore
import HoplineNet
@testable import HoplineNode

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

    func send(_ bytes: [UInt8], from source: PeerAddress, to destination: PeerAddress) {
        guard !dead.contains(source), filter(source, destination, bytes) else { return }
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
            for pending in due where !dead.contains(pending.destination) {
                var datagram = pending.datagram
                datagram.arrival = current
                delivered[pending.destination, default: 0] += 1
                handlers[pending.destination]?(datagram)
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
    /// One second of a 440 Hz tone, repeated: something for the media to carry.
    static let tone: [Float] = (0..<48_000 * 20).map { 0.3 * sin(2 * Float.pi * 440 * Float($0) / 48_000) }

    static func node(
        _ network: VirtualNetwork, at address: String, identity: NodeIdentity = .generate(), events: EventLog? = nil,
        configure: (inout NodeSettings) -> Void = { _ in }
    ) -> NodeCore {
        let socket = network.socket(address)
        var settings = NodeSettings(bind: socket.localAddress, showStatusLine: false)
        settings.recordPath = "/nonexistent/never-written.wav"
        configure(&settings)
        let environment = NodeEnvironment(transport: socket, clock: network.clock, identity: identity, settings: settings) {
            events?.lines.append($0)
        }
        let core = NodeCore(environment: environment, playSamples: tone)
        network.attach(core)
        return core
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
