import Synchronization

/// What an `ImpairmentProxy` counted in one direction.
public struct ImpairmentDirectionStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Datagrams that came in to be passed on in this direction.
    public var received = 0
    /// Datagrams written out, second copies included (a write the kernel then refuses also counts in
    /// `sendFailures`).
    public var forwarded = 0
    /// Datagrams the impairment lost.
    public var dropped = 0
    /// Second copies the impairment made.
    public var duplicated = 0
    /// Datagrams with nowhere to go: a reply before any client has sent, or a datagram on the forwarding
    /// socket from an address other than the forward address. Counted and dropped.
    public var unroutable = 0
    /// Datagrams dropped because too many were already held for later delivery (`ImpairmentProxy.maxHeld`).
    public var overflowed = 0
    /// Writes the kernel refused (for example ICMP port unreachable from a peer that is not listening).
    public var sendFailures = 0
    /// Datagrams held right now, waiting for their arrival time.
    public var held = 0

    public init() {}

    public var description: String {
        var text = "received \(received), forwarded \(forwarded), dropped \(dropped), duplicated \(duplicated)"
        if held > 0 { text += ", held \(held)" }
        if unroutable > 0 { text += ", unroutable \(unroutable)" }
        if overflowed > 0 { text += ", overflowed \(overflowed)" }
        if sendFailures > 0 { text += ", send failures \(sendFailures)" }
        return text
    }
}

/// Both directions' counters of an `ImpairmentProxy`.
public struct ImpairmentProxyStatistics: Sendable, Equatable, CustomStringConvertible {
    /// From clients to the forward address.
    public var clientToForward = ImpairmentDirectionStatistics()
    /// Replies from the forward address back to the latest client.
    public var forwardToClient = ImpairmentDirectionStatistics()

    public init() {}

    public var description: String {
        "client->forward: \(clientToForward) | forward->client: \(forwardToClient)"
    }
}

/// The direction a datagram travels through the proxy.
enum ImpairmentDirection: Sendable {
    case clientToForward
    case forwardToClient
}

/// Thread-safe counters shared by the proxy's event loop (which writes) and any reader.
final class ImpairmentProxyCounters: Sendable {
    private let state = Mutex(ImpairmentProxyStatistics())

    func update(_ direction: ImpairmentDirection, _ change: (inout ImpairmentDirectionStatistics) -> Void) {
        state.withLock { statistics in
            switch direction {
            case .clientToForward: change(&statistics.clientToForward)
            case .forwardToClient: change(&statistics.forwardToClient)
            }
        }
    }

    func snapshot() -> ImpairmentProxyStatistics { state.withLock { $0 } }
}
