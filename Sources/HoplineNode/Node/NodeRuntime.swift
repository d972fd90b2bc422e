import Foundation
import HoplineAudio
import HoplineCore
import HoplineDiscovery
import HoplineMedia
import HoplineNet
import NIOPosix

/// A Hopline node in a process: one UDP socket carrying signaling, address discovery, rendezvous, relay
/// sessions and SRTP media, and one loop thread that drives the node's services (`NodeCore`) with the
/// monotonic clock. `listen` answers calls until stopped; `call` places one.
///
/// Threading: the socket's event loop only queues datagrams (`DatagramInbox`); everything else, including
/// media pacing, runs on the thread that called `listen` or `call`. While a call's media flows both ways, the
/// peer's SRTP waits for that thread's next playout tick instead of waking it (`QuietMediaSwitch`). Live audio devices are reached only
/// through lock-free rings, so the real-time callback never waits for this thread.
public final class NodeRuntime {
    public let settings: NodeSettings
    public let identity: NodeIdentity
    private let clock = MonotonicClock()
    private let group: MultiThreadedEventLoopGroup
    private let inbox = DatagramInbox()
    private let quietMedia = QuietMediaSwitch()
    private let socket: UDPTransport
    private let stop: StopSignal
    private let core: NodeCore
    private let status: StatusReporter
    /// The node's OpenDHT runner, when `settings.dht` names a bootstrap node (started by `listen` or `call`);
    /// shut down when the node stops.
    private var dhtRunner: DHTRunner?

    /// Binds the socket. `log` gets one line per event (ringing, connected, path changes, ended, warnings).
    public init(
        settings: NodeSettings, identity: NodeIdentity, stop: StopSignal, log: @escaping (String) -> Void
    ) throws {
        self.settings = settings
        self.identity = identity
        self.stop = stop
        // libsrtp2 runs its crypto self-tests on initialisation (tens of ms): do it now, not as a call connects.
        do {
            try SRTPLibrary.initialize()
        } catch {
            throw CallError.setupFailed("\(error)")
        }
        // The devices a call will need are checked now, before any call is placed or answered.
        try CallAudioPlan(settings: settings).checkDevices()
        let playSamples = try settings.playPath.map { path in
            do { return try FileAudioSource.load(path: path) } catch { throw CallError.invalidArgument("--play: \(error)") }
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = self.inbox, quietMedia = self.quietMedia
        do {
            socket = try UDPTransport.bind(to: settings.bind, group: group, clock: clock) {
                inbox.push($0, wakesConsumer: quietMedia.wakes($0))
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw CallError.setupFailed("\(error)")
        }
        do {
            status = try StatusReporter(settings: settings, start: clock.now())
        } catch {
            socket.close()
            try? group.syncShutdownGracefully()
            throw error
        }
        let environment = NodeEnvironment(transport: socket, clock: clock, identity: identity, settings: settings) { _ in }
        core = NodeCore(environment: environment, playSamples: playSamples)
        environment.eventSink = { [status] line in
            status.clearLine()
            log(line)
        }
    }

    deinit {
        dhtRunner?.shutdown()
        socket.close()
        try? group.syncShutdownGracefully()
    }

    /// The address the socket is bound to.
    public var localAddress: PeerAddress { socket.localAddress }

    private var environment: NodeEnvironment { core.environment }

    /// Answers calls (and serves as a rendezvous for other nodes) until SIGINT/SIGTERM.
    public func listen(policy: ListenPolicy) throws {
        let calls = core.calls
        calls.listenPolicy = policy
        calls.releasesEndedCalls = true
        if !policy.autoAnswer { calls.prompt = TerminalPrompt() }
        environment.event("listening on \(socket.localAddress) as \(identity.nodeID)")
        if let rendezvous = settings.rendezvous { core.register(at: rendezvous) }
        if let runner = try startDHT(role: "listen") {
            core.attachDiscovery(runner: runner, publish: true)
        } else {
            environment.event(
                "DHT: no bootstrap node ([dht] bootstrap or --dht-bootstrap): discovery is off; callers need this "
                    + "node's address or a rendezvous")
        }
        defer { dhtRunner?.shutdown() }
        run { [stop] in
            guard stop.caught != nil else { return false }
            if let call = calls.call, call.phase != .ended, call.phase != .closing { calls.hangUp(call, reason: .interrupted) }
            return calls.call == nil || calls.call?.phase == .ended
        }
    }

    /// Places one call and returns when it ends; throws `CallError` when it could not be made or failed.
    public func call(_ target: CallTarget) throws {
        if let runner = try startDHT(role: "call") { core.attachDiscovery(runner: runner, publish: false) }
        defer { dhtRunner?.shutdown() }
        try core.placeCall(target) { seconds, ready in wait(seconds: seconds, until: ready) }
        let calls = core.calls
        var outcome: CallError?
        run { [stop] in
            guard let call = calls.call else { return true }
            if stop.caught != nil, call.phase != .closing, call.phase != .ended { calls.hangUp(call, reason: .interrupted) }
            if call.phase == .ended {
                outcome = call.failure
                return true
            }
            return false
        }
        if let outcome { throw outcome }
    }

    /// Starts the DHT runner when a bootstrap node is configured. Its DHT node ID is derived from this node's
    /// identity and `role`, so a node that restarts (or a caller placing call after call) takes its old place
    /// in others' routing tables instead of leaving departed entries that lookups must time out.
    private func startDHT(role: String) throws -> DHTRunner? {
        guard settings.dht.enabled else { return nil }
        var dht = settings.dht
        dht.nodeID = DHTKey(label: "hopline dht node v1 " + role, subject: identity.nodeID.publicKey).bytes
        do {
            dhtRunner = try DHTRunner(settings: dht)
        } catch {
            throw CallError.setupFailed("DHT: \(error)")
        }
        return dhtRunner
    }

    /// The node's loop: wait for datagrams or the next deadline, handle both, until `done` says so.
    private func run(until done: () -> Bool) {
        while true {
            let now = clock.now()
            let deadline = min(core.nextDeadline(now: now), status.nextReport)
            let wait = max(0, deadline.nanoseconds - now.nanoseconds)
            for datagram in inbox.waitAndDrain(timeoutNanoseconds: UInt64(wait)) { core.handle(datagram) }
            let later = clock.now()
            core.tick(now: later)
            status.tick(now: later, core: core, socket: socket.statistics)
            quietMedia.set(core.calls.mediaFlowsBothWays)
            if done() { break }
        }
        quietMedia.set(false)
        status.report(now: clock.now(), core: core, socket: socket.statistics, final: true)
        core.calls.finishCall()
        status.clearLine()
    }

    /// Runs the loop (serving every datagram) until `ready` or `timeout` seconds pass; false on timeout or stop.
    /// The steps before a call (identity, relays, rendezvous) wait through this.
    private func wait(seconds timeout: Double, until ready: () -> Bool) -> Bool {
        let start = clock.now()
        while stop.caught == nil {
            if ready() { return true }
            let now = clock.now()
            if now.milliseconds(since: start) >= timeout * 1000 { return false }
            for datagram in inbox.waitAndDrain(timeoutNanoseconds: 10_000_000) { core.handle(datagram) }
            core.tick(now: clock.now())
        }
        return false
    }
}
