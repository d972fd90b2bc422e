internal import COpenDHT
internal import COpenDHTStats
import Dispatch
import Foundation
import HoplineNet

/// One OpenDHT node (`dht::DhtRunner` through the C API): joins Hopline's DHT network, puts, gets and
/// listens, and reports every result as a `DHTEvent` in `events`.
///
/// Threading: OpenDHT runs its own threads and calls back on them; the callbacks only copy the value's
/// bytes into `events` (a thread-safe queue) that the owner drains on its own loop. Each callback context
/// is retained until its done-callback fires (or OpenDHT destroys the callback), never freed earlier.
/// The owner calls the methods from one thread. `shutdown()` (also run by `deinit`) stops the node and
/// joins OpenDHT's threads.
public final class DHTRunner {
    /// The largest value put: OpenDHT refuses packed values over 64 KiB (slowly, after a search), so the
    /// data, with 1 KiB left for OpenDHT's own fields, is checked before a put.
    public static let maximumValueBytes = 64 * 1024 - 1024

    public let settings: DHTSettings
    public let events: DHTEventQueue
    private var runner: OpaquePointer?
    private var nextOperation = 1
    private var listens: [Int: (key: DHTKey, token: OpaquePointer)] = [:]
    /// The runner's UDP port (IPv4).
    public let boundPort: UInt16

    /// Starts a node on `settings.port` (0: any) for `settings.network`; does not bootstrap yet.
    public init(settings: DHTSettings, events: DHTEventQueue = DHTEventQueue()) throws(DHTError) {
        self.settings = settings
        self.events = events
        guard let runner = dht_runner_new() else { throw .startFailed(port: settings.port, code: -1) }
        var config = dht_runner_config()
        dht_runner_config_default(&config)
        config.dht_config.node_config.network = settings.network
        if let id = settings.nodeID, id.count == DHTKey.length {
            withUnsafeMutableBytes(of: &config.dht_config.node_config.node_id.d) { $0.copyBytes(from: id) }
        }
        config.threaded = true
        config.log = false
        let code = dht_runner_run_config(runner, settings.port, &config)
        guard code == 0 else {
            dht_runner_delete(runner)
            throw .startFailed(port: settings.port, code: code)
        }
        self.runner = runner
        boundPort = dht_runner_get_bound_port(runner, sa_family_t(AF_INET))
    }

    deinit { shutdown() }

    public var isRunning: Bool { runner != nil }

    /// Joins the network through `node`: added to OpenDHT's bootstrap list (retried while disconnected) and
    /// pinged at once; the ping's `done` (operation returned; -1 when the name does not resolve) says whether
    /// it answered.
    @discardableResult
    public func bootstrap(_ node: DHTBootstrapNode) -> Int {
        guard let runner else { return -1 }
        dht_runner_bootstrap(runner, node.host, String(node.port))
        guard var address = Self.resolve(node) else { return -1 }
        let operation = newOperation()
        let context = Unmanaged.passRetained(DHTCallbackContext(operation: operation, events: events)).toOpaque()
        withUnsafeMutablePointer(to: &address.storage) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                dht_runner_ping(runner, $0, address.length, dhtDoneCallback, context)
            }
        }
        return operation
    }

    /// Puts `value` at `key` (stored for OpenDHT's value lifetime, 10 minutes; refresh by putting again).
    /// Its `done` event says whether it was stored.
    @discardableResult
    public func put(_ value: [UInt8], at key: DHTKey) throws(DHTError) -> Int {
        guard let runner else { throw .stopped }
        guard value.count <= Self.maximumValueBytes else { throw .valueTooLarge(bytes: value.count, limit: Self.maximumValueBytes) }
        let handle = value.withUnsafeBufferPointer { dht_value_new($0.baseAddress, $0.count) }
        defer { dht_value_unref(handle) }
        let operation = newOperation()
        let context = Unmanaged.passRetained(DHTCallbackContext(operation: operation, events: events)).toOpaque()
        var hash = key.infohash
        dht_runner_put(runner, &hash, handle, dhtDoneCallback, context, false)
        return operation
    }

    /// Looks `key` up: a `value` event per value found, then `done`.
    @discardableResult
    public func get(_ key: DHTKey) throws(DHTError) -> Int {
        guard let runner else { throw .stopped }
        let operation = newOperation()
        let context = Unmanaged.passRetained(DHTCallbackContext(operation: operation, events: events)).toOpaque()
        var hash = key.infohash
        dht_runner_get(runner, &hash, dhtGetCallback, dhtDoneCallback, context)
        return operation
    }

    /// Listens on `key`: a `listened` event for every value stored there now and later, until `cancel`.
    @discardableResult
    public func listen(_ key: DHTKey) throws(DHTError) -> Int {
        guard let runner else { throw .stopped }
        let operation = newOperation()
        let context = Unmanaged.passRetained(DHTCallbackContext(operation: operation, events: events)).toOpaque()
        var hash = key.infohash
        guard let token = dht_runner_listen(runner, &hash, dhtValueCallback, dhtReleaseCallback, context) else {
            Unmanaged<DHTCallbackContext>.fromOpaque(context).release()
            throw .stopped
        }
        listens[operation] = (key, token)
        return operation
    }

    /// Stops the listen numbered `operation` (its context is released when OpenDHT drops the callback).
    public func cancelListen(_ operation: Int) {
        guard let runner, let listen = listens.removeValue(forKey: operation) else { return }
        var hash = listen.key.infohash
        dht_runner_cancel_listen(runner, &hash, listen.token)
        dht_op_token_delete(listen.token)
    }

    /// The addresses other DHT nodes saw this runner's packets come from (its NAT's public side), IPv4 first.
    public func publicAddresses() -> [PeerAddress] {
        guard let runner, let list = dht_runner_get_public_address(runner) else { return [] }
        var addresses: [PeerAddress] = []
        var index = 0
        while let entry = list[index] {
            if let address = Self.peerAddress(entry) { addresses.append(address) }
            free(entry)
            index += 1
        }
        free(list)
        return addresses.sorted { ($0.description.contains("[") ? 1 : 0) < ($1.description.contains("[") ? 1 : 0) }
    }

    /// The routing table's node counts and the local store (nil once shut down).
    public var statistics: DHTStatistics? {
        guard let runner else { return nil }
        var good: UInt32 = 0, dubious: UInt32 = 0, cached: UInt32 = 0, incoming: UInt32 = 0
        var bytes = 0, values = 0
        let pointer = UnsafeRawPointer(runner)
        _ = hopline_dht_node_counts(pointer, &good, &dubious, &cached, &incoming)
        hopline_dht_store_size(pointer, &bytes, &values)
        return DHTStatistics(
            goodNodes: Int(good), dubiousNodes: Int(dubious), cachedNodes: Int(cached), incomingNodes: Int(incoming),
            storedValues: values, storedBytes: bytes)
    }

    /// Stops the node: OpenDHT's shutdown (waited for, at most 3 s), then its threads are joined. Idempotent.
    public func shutdown() {
        guard let runner else { return }
        self.runner = nil
        let finished = DispatchSemaphore(value: 0)
        let context = Unmanaged.passRetained(DHTShutdownContext(finished)).toOpaque()
        dht_runner_shutdown(runner, dhtShutdownCallback, context)
        _ = finished.wait(timeout: .now() + 3)
        dht_runner_delete(runner)  // joins OpenDHT's threads; pending callbacks are dropped or fire before this returns
        for listen in listens.values { dht_op_token_delete(listen.token) }
        listens.removeAll()
    }

    private func newOperation() -> Int {
        defer { nextOperation += 1 }
        return nextOperation
    }

    private struct ResolvedAddress {
        var storage: sockaddr_storage
        var length: socklen_t
    }

    /// `getaddrinfo` for a bootstrap node (IPv4 or IPv6, UDP); nil when it does not resolve.
    private static func resolve(_ node: DHTBootstrapNode) -> ResolvedAddress? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(node.host, String(node.port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let address = first.pointee.ai_addr else { return nil }
        var storage = sockaddr_storage()
        let length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        return ResolvedAddress(storage: storage, length: length)
    }

    /// A NUL-terminated C string buffer as text.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func peerAddress(_ address: UnsafeMutablePointer<sockaddr>) -> PeerAddress? {
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var raw = v4.pointee.sin_addr
                guard inet_ntop(AF_INET, &raw, &host, socklen_t(host.count)) != nil else { return nil }
                return try? PeerAddress(parsing: "\(Self.text(host)):\(UInt16(bigEndian: v4.pointee.sin_port))")
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var raw = v6.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &raw, &host, socklen_t(host.count)) != nil else { return nil }
                return try? PeerAddress(parsing: "[\(Self.text(host))]:\(UInt16(bigEndian: v6.pointee.sin6_port))")
            }
        default:
            return nil
        }
    }
}

extension DHTKey {
    var infohash: dht_infohash {
        var hash = dht_infohash()
        withUnsafeMutableBytes(of: &hash.d) { $0.copyBytes(from: bytes) }
        return hash
    }
}

/// What a runner knows of the network and holds for it (`DHTRunner.statistics`).
public struct DHTStatistics: Sendable, Equatable {
    /// IPv4 routing-table nodes: answered recently, not lately, cached, and those that contacted us.
    public var goodNodes: Int
    public var dubiousNodes: Int
    public var cachedNodes: Int
    public var incomingNodes: Int
    /// Values this node stores for the network, and their bytes.
    public var storedValues: Int
    public var storedBytes: Int

    public var knownNodes: Int { goodNodes + dubiousNodes }
}
