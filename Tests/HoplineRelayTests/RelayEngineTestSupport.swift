import HoplineCore
import HoplineNet
import HoplineRelay
import NIOCore
import XCTest

/// A relay engine on a virtual clock, plus helpers that speak the relay protocol as a client would.
struct EngineHarness {
    let engine: RelayEngine
    var now = RelayInstant(monotonic: ClockInstant(nanoseconds: 1_000_000_000_000), unixSeconds: 1_800_000_000)
    let callerKey = [UInt8](repeating: 0xA1, count: 32)
    let calleeKey = [UInt8](repeating: 0xB2, count: 32)
    private var transactionCounter: UInt8 = 0

    init(_ limits: RelayLimits = RelayLimits(), own: Set<RelayIPKey> = []) {
        engine = RelayEngine(limits: limits, now: now, ownAddresses: own, firstChannel: 100)
    }

    mutating func advance(milliseconds: Double) { now = now.advanced(byMilliseconds: milliseconds) }

    mutating func transaction() -> [UInt8] {
        transactionCounter &+= 1
        return [UInt8](repeating: transactionCounter, count: 12)
    }

    /// Sends `packet` from `source`; returns the parsed reply, checking it is no larger than the request.
    func request(_ packet: RelayPacket, from source: SocketAddress, file: StaticString = #filePath, line: UInt = #line) -> RelayPacket? {
        let bytes = packet.serialized()
        guard let reply = engine.handleRequest(bytes, from: source, now: now) else { return nil }
        XCTAssertLessThanOrEqual(reply.count, bytes.count, "amplification for \(packet)", file: file, line: line)
        return try? RelayPacket(parsing: reply)
    }

    mutating func cookie(for source: SocketAddress, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
        guard case .cookie(_, let cookie, _)? = request(.cookieRequest(transaction: transaction()), from: source) else {
            XCTFail("no cookie", file: file, line: line)
            return []
        }
        return cookie
    }

    /// ALLOCATE from `source` with a fresh cookie; the JOINED token, or the refusal.
    mutating func allocate(from source: SocketAddress, caller: [UInt8]? = nil) -> Result<RelayToken, RelayRefusal>? {
        let cookie = cookie(for: source)
        let packet = RelayPacket.allocate(transaction: transaction(), cookie: cookie, caller: caller ?? callerKey, callee: calleeKey)
        switch request(packet, from: source) {
        case .joined(_, .caller, let token, _, _)?: return .success(token)
        case .refused(_, let reason)?: return .failure(reason)
        default: return nil
        }
    }

    mutating func join(_ token: RelayToken, side: RelaySide = .callee, from source: SocketAddress) -> Result<RelayToken, RelayRefusal>? {
        let cookie = cookie(for: source)
        switch request(.join(transaction: transaction(), cookie: cookie, side: side, token: token), from: source) {
        case .joined(_, let repliedSide, let fresh, _, _)?:
            XCTAssertEqual(repliedSide, side)
            return .success(fresh)
        case .refused(_, let reason)?: return .failure(reason)
        default: return nil
        }
    }

    /// A session with both sides joined: the caller's token.
    mutating func connected(caller: SocketAddress, callee: SocketAddress) throws -> RelayToken {
        let token = try XCTUnwrap(try XCTUnwrap(allocate(from: caller)).get())
        _ = try XCTUnwrap(try XCTUnwrap(join(token, from: callee)).get())
        return token
    }

    func forward(_ channel: UInt32, _ length: Int = 100, from source: SocketAddress) -> SocketAddress? {
        engine.forward(channel: channel, length: length, from: source, now: now.monotonic)
    }
}

func address(_ text: String) -> SocketAddress {
    // Test addresses are literals; a typo should fail loudly.
    guard let parsed = try? PeerAddress(parsing: text) else { preconditionFailure("bad test address \(text)") }
    return parsed.socketAddress
}

