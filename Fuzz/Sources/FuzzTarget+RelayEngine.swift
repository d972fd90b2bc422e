import Crypto
import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore

/// The relay as datagrams arrive at it: a fresh `RelayEngine` (small caps, fixed token secret and first channel)
/// driven by a script of operations from four source addresses. Raw datagrams test the parser and the refusals;
/// the scripted COOKIE_REQUEST / ALLOCATE / JOIN / DATA / LEAVE / time steps echo the cookies and tokens the engine
/// handed out, as a real client does, so sessions, forwarding, rate limits, idle expiry and draining are reached.
///
/// Invariants: no reply is larger than its request; DATA goes only to an address that proved itself (one of the
/// script's sources; one source may hold both sides of a session and so receive its own DATA); the session count
/// stays within `maxSessions`.
extension FuzzTarget {
    static let relayEngine = FuzzTarget("relay-engine") { bytes in
        var script = FuzzRelayScript(bytes)
        script.run()
    }
}

/// One run of the `relay-engine` target. Each operation is one byte: `op % 8` the kind, `op / 8 % 4` the source.
struct FuzzRelayScript {
    /// Parsed per run, not held in a global: LeakSanitizer cannot see the pointer to an IPv6 address's storage
    /// inside a long-lived `SocketAddress` (Swift packs enum tags into pointer bits) and would report it as leaked.
    private let sources = ["192.0.2.1:5000", "192.0.2.2:6000", "[2001:db8::7]:7000", "198.51.100.9:5000"].map {
        try! PeerAddress(parsing: $0).socketAddress
    }
    static let limits = RelayLimits(
        maxSessions: 3, maxKbpsPerSession: 64, maxTotalKbps: 128, maxSessionsPerIP: 2, idleTimeoutSeconds: 2,
        tokenLifetimeSeconds: 30, cookieEpochSeconds: 5)
    static let keys: [[UInt8]] = [[UInt8](repeating: 0xA1, count: 32), [UInt8](repeating: 0xB2, count: 32), [UInt8](repeating: 0xC3, count: 32)]

    private var input: [UInt8]
    private var position = 0
    private var now = RelayInstant(monotonic: ClockInstant(nanoseconds: 5_000_000_000), unixSeconds: 1_800_000_000)
    private let engine: RelayEngine
    private var cookies: [[UInt8]?] = [nil, nil, nil, nil]
    private var tokens: [RelayToken] = []

    init(_ input: [UInt8]) {
        self.input = input
        engine = RelayEngine(
            limits: Self.limits, now: now, tokenSecret: SymmetricKey(data: [UInt8](repeating: 0x5E, count: 32)), firstChannel: 1)
    }

    private mutating func next() -> UInt8? {
        guard position < input.count else { return nil }
        defer { position += 1 }
        return input[position]
    }

    mutating func run() {
        var steps = 0
        while let op = next(), steps < 200 {
            steps += 1
            let source = Int(op / 8 % 4)
            switch op % 8 {
            case 0:  // a raw datagram: length byte, then that many bytes
                let length = Int(next() ?? 0)
                let end = min(input.count, position + length)
                let datagram = Array(input[position..<end])
                position = end
                deliver(datagram, from: source)
            case 1:
                deliver(RelayPacket.cookieRequest(transaction: transaction()).serialized(), from: source)
            case 2:
                let pick = Int(next() ?? 0)
                deliver(
                    RelayPacket.allocate(
                        transaction: transaction(), cookie: cookies[source] ?? [UInt8](repeating: 0, count: 16),
                        caller: Self.keys[pick % 3], callee: Self.keys[pick / 3 % 3]
                    ).serialized(), from: source)
            case 3:
                let pick = Int(next() ?? 0)
                guard !tokens.isEmpty else { continue }
                var token = tokens[pick % tokens.count]
                if pick & 0x80 != 0 { token.expiry &+= 1 }  // a forged token
                deliver(
                    RelayPacket.join(
                        transaction: transaction(), cookie: cookies[source] ?? [UInt8](repeating: 0, count: 16),
                        side: pick & 0x40 != 0 ? .caller : .callee, token: token
                    ).serialized(), from: source)
            case 4:
                let pick = Int(next() ?? 0)
                let channel = tokens.isEmpty ? UInt32(pick) : tokens[pick % tokens.count].channel
                deliver(RelayPacket.dataHeader(channel: channel) + [UInt8](repeating: 0x80, count: 20 + pick * 4), from: source)
            case 5:
                let pick = Int(next() ?? 0)
                guard !tokens.isEmpty else { continue }
                deliver(RelayPacket.leave(channel: tokens[pick % tokens.count].channel).serialized(), from: source)
            case 6:  // time passes: up to 25.5 s in 100 ms steps, unix seconds along
                let tenths = Int64(next() ?? 0)
                now.monotonic = now.monotonic.advanced(byNanoseconds: tenths * 100_000_000)
                now.unixSeconds = 1_800_000_000 &+ UInt32(truncatingIfNeeded: (now.monotonic.nanoseconds - 5_000_000_000) / 1_000_000_000)
                tick()
            default:
                if op & 0x80 != 0 { engine.beginDraining(now: now) } else { tick() }
            }
            fuzzCheck(engine.sessionCount <= Self.limits.maxSessions, "relay holds \(engine.sessionCount) sessions")
        }
    }

    private mutating func transaction() -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: position), count: 12) }

    private func tick() {
        for (bytes, _) in engine.tick(now: now) { fuzzCheck((try? RelayPacket(parsing: bytes)) != nil, "relay sent a DRAIN it cannot parse") }
    }

    /// As `RelayChannelHandler` does: DATA to `forward`, everything else to `handleRequest`.
    private mutating func deliver(_ datagram: [UInt8], from index: Int) {
        let source = sources[index]
        if let channel = RelayPacket.dataChannel(of: datagram) {
            if let destination = engine.forward(channel: channel, length: datagram.count, from: source, now: now.monotonic) {
                fuzzCheck(sources.contains(destination), "relay forwarded DATA to an address nobody proved")
            }
            return
        }
        guard let reply = engine.handleRequest(datagram, from: source, now: now) else { return }
        fuzzCheck(reply.count <= datagram.count, "relay reply of \(reply.count) bytes to a \(datagram.count)-byte request")
        switch try? RelayPacket(parsing: reply) {
        case .cookie(_, let cookie, _)?: cookies[index] = cookie
        case .joined(_, _, let token, _, _)?: if !tokens.contains(token) { tokens.append(token) }
        case .refused?: break
        default: fuzzCheck(false, "relay reply does not parse as COOKIE, JOINED or REFUSED")
        }
    }
}
