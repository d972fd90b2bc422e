import HoplineCore
import HoplineNet
@testable import HoplineNode
import HoplineRelay
import XCTest

/// Relayed calls on the virtual clock with the real relay engine: two peers that cannot reach each other
/// directly meet through a rendezvous, the caller opens sessions on two relays, the callee joins them, and
/// the call survives the death of the relay it uses, a drain, and a NAT mapping change, each measured exactly.
final class VirtualRelayCallTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    private struct Topology {
        let network: VirtualNetwork
        let caller: NodeCore
        let callee: NodeCore
        let relays: [VirtualRelay]
        let callerEvents: EventLog
        let calleeEvents: EventLog
    }

    /// Rendezvous at 203.0.113.1, relays at 198.51.100.1/.2, caller 192.0.2.1 and callee 192.0.2.2 that can
    /// never reach each other directly (both behind NATs that hole punching cannot pass). `callerSeenAs` is
    /// the caller's address as others see it (its NAT's public IP, when the network maps it).
    private func relayedCall(network: VirtualNetwork = VirtualNetwork(), callerSeenAs: String = "192.0.2.1") throws -> Topology {
        let relays = [VirtualRelay(network, at: "198.51.100.1:4740"), VirtualRelay(network, at: "198.51.100.2:4740")]
        let rendezvous = VirtualNodes.node(network, at: "203.0.113.1:4730")
        let calleeEvents = EventLog(), callerEvents = EventLog()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730", events: calleeEvents)
        VirtualNodes.listen(callee)
        callee.register(at: rendezvous.environment.transport.localAddress)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000", events: callerEvents) { settings in
            settings.rendezvous = try! PeerAddress(parsing: "203.0.113.1:4730")
            settings.relays = relays.map(\.address)
        }
        network.filter = { source, destination, _ in
            let ends = [source.socketAddress.ipAddress ?? "", destination.socketAddress.ipAddress ?? ""]
            return !(ends.contains(callerSeenAs) && ends.contains("192.0.2.2"))
        }
        network.run(for: 0.5)  // the callee registers
        try caller.placeCall(.node(callee.environment.identity.nodeID)) { seconds, ready in
            network.run(atMost: seconds, until: ready)
        }
        network.run(for: 2)
        return Topology(
            network: network, caller: caller, callee: callee, relays: relays, callerEvents: callerEvents,
            calleeEvents: calleeEvents)
    }

    private func concealed(_ node: NodeCore) -> Int { node.calls.call?.media?.jitterStatistics.concealed ?? -1 }

    func testPeersThatCannotReachEachOtherTalkThroughARelayWithAWarmStandby() throws {
        let t = try relayedCall()
        let call = try XCTUnwrap(t.caller.calls.call, t.callerEvents.text)
        XCTAssertEqual(call.phase, .active, t.callerEvents.text)
        let active = try XCTUnwrap(call.paths.active)
        XCTAssertTrue(active.isRelayed, "\(active)")
        XCTAssertEqual(t.callee.calls.call?.paths.active, active, "both ends on one relay session")
        XCTAssertEqual(call.paths.ranked(at: t.network.clock.now()).count, 2, "the standby relay is alive too")
        XCTAssertEqual(t.callee.calls.call?.paths.ranked(at: t.network.clock.now()).count, 2)
        XCTAssertGreaterThan(call.media?.reception.packetsReceived ?? 0, 80)
        XCTAssertGreaterThan(t.callee.calls.call?.media?.reception.packetsReceived ?? 0, 80)
        XCTAssertEqual(concealed(t.caller), 0)
        XCTAssertEqual(t.relays.map { $0.engine.sessionCount }, [1, 1])
        XCTAssertEqual(call.rttMilliseconds ?? 0, 40, accuracy: 0.5, "four 10 ms hops through the relay")
    }

    /// The relay carrying the call dies (SIGKILL: nothing more in or out). Each end notices 160 ms after the
    /// last media packet and moves to the standby; the other end's media follows within a hop.
    func testKillingTheActiveRelayMovesTheCallToTheStandbyWithUnder300MillisecondsConcealed() throws {
        let t = try relayedCall()
        let active = try XCTUnwrap(t.caller.calls.call?.paths.active)
        let victim = try XCTUnwrap(t.relays.first { $0.address == active.nextHop })
        let before = (concealed(t.caller), concealed(t.callee))
        t.network.kill(victim.address)
        t.network.run(for: 2)
        let caller = try XCTUnwrap(t.caller.calls.call), callee = try XCTUnwrap(t.callee.calls.call)
        XCTAssertEqual(caller.phase, .active)
        XCTAssertNotEqual(caller.paths.active?.nextHop, victim.address)
        XCTAssertEqual(caller.paths.active, callee.paths.active)
        XCTAssertEqual(caller.paths.switches, 1)
        let lost = (concealed(t.caller) - before.0, concealed(t.callee) - before.1)
        // Frames of 20 ms: 160 ms of silence before the switch plus a hop or two.
        XCTAssertLessThanOrEqual(lost.0 * 20, 300, t.callerEvents.text)
        XCTAssertLessThanOrEqual(lost.1 * 20, 300, t.calleeEvents.text)
        XCTAssertGreaterThan(lost.0, 0, "a killed relay does lose audio: the measurement sees it")
        XCTAssertTrue(t.callerEvents.text.contains("nothing heard for"), t.callerEvents.text)
    }

    /// A draining relay says so (DRAIN): both ends move at once, before any audio is lost.
    func testADrainingRelayIsLeftAtOnceWithoutLosingAudio() throws {
        let t = try relayedCall()
        let active = try XCTUnwrap(t.caller.calls.call?.paths.active)
        let draining = try XCTUnwrap(t.relays.first { $0.address == active.nextHop })
        let before = (concealed(t.caller), concealed(t.callee))
        draining.engine.beginDraining(now: RelayInstant(monotonic: t.network.clock.now(), unixSeconds: 1_800_000_002))
        t.network.run(for: 0.1)
        XCTAssertNotEqual(t.caller.calls.call?.paths.active?.nextHop, draining.address)
        XCTAssertNotEqual(t.callee.calls.call?.paths.active?.nextHop, draining.address)
        t.network.run(for: 1)
        XCTAssertEqual(concealed(t.caller) - before.0, 0)
        XCTAssertEqual(concealed(t.callee) - before.1, 0)
        XCTAssertTrue(t.callerEvents.text.contains("is draining"), t.callerEvents.text)
    }

    /// The caller's NAT forgets its mappings mid-call: its packets now come from a new public address the
    /// relays do not know. The caller re-proves its token from there and the call goes on.
    func testANATMappingChangeIsHealedByReprovingTheRelaySessions() throws {
        let network = VirtualNetwork()
        let inside = try PeerAddress(parsing: "192.0.2.1:5000")
        network.remap(inside, to: try PeerAddress(parsing: "203.0.113.50:40000"))
        let t = try relayedCall(network: network, callerSeenAs: "203.0.113.50")
        XCTAssertEqual(t.caller.calls.call?.phase, .active, t.callerEvents.text)
        let before = concealed(t.callee)
        t.network.remap(inside, to: try PeerAddress(parsing: "203.0.113.50:40001"))
        t.network.run(for: 4)
        XCTAssertEqual(t.caller.calls.call?.phase, .active, t.callerEvents.text)
        XCTAssertEqual(t.callee.calls.call?.phase, .active, t.calleeEvents.text)
        let heal = concealed(t.callee) - before
        XCTAssertLessThan(heal * 20, 2_500, "healed within the re-prove delay: \(t.callerEvents.text)")
        let sessions = t.relays.compactMap { relay in
            relay.engine.session(t.caller.calls.call?.paths.active.flatMap { key -> UInt32? in
                if case .relayed(let address, let channel) = key, address == relay.address { return channel }
                return nil
            } ?? 0)
        }
        XCTAssertEqual(sessions.first?.caller.flatMap { PeerAddress($0).port }, 40001, "the relay follows the new mapping")
    }

    /// The nearest relay refuses (its per-source-IP cap is taken by another node at the caller's IP): the
    /// caller says why and takes the next relays, and the call goes through them.
    func testARefusingRelayIsSkippedForTheNextWithItsReason() throws {
        let network = VirtualNetwork()
        let near = VirtualRelay(network, at: "198.51.100.1:4740", limits: RelayLimits(maxSessionsPerIP: 1))
        let relays = [near, VirtualRelay(network, at: "198.51.100.2:4740"), VirtualRelay(network, at: "198.51.100.3:4740")]
        for relay in relays.dropFirst() { network.extraLatency[relay.address] = 3 }
        // Other nodes' sessions: one at the caller's IP on the near relay, one each on the others (equal load).
        let neighbour = VirtualNodes.node(network, at: "192.0.2.1:6000"), other = VirtualNodes.node(network, at: "192.0.2.9:6000")
        let someone = NodeIdentity.generate().nodeID.publicKey
        neighbour.relays.allocate(on: near.address, callee: someone, callSession: 1, now: network.clock.now())
        for relay in relays.dropFirst() { other.relays.allocate(on: relay.address, callee: someone, callSession: 1, now: network.clock.now()) }
        network.run(for: 0.5)
        XCTAssertEqual(relays.map { $0.engine.sessionCount }, [1, 1, 1])

        let rendezvous = VirtualNodes.node(network, at: "203.0.113.1:4730")
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730")
        VirtualNodes.listen(callee)
        callee.register(at: rendezvous.environment.transport.localAddress)
        let events = EventLog()
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000", events: events) { settings in
            settings.rendezvous = try! PeerAddress(parsing: "203.0.113.1:4730")
            settings.relays = relays.map(\.address)
        }
        network.filter = { source, destination, _ in
            let ends = [source.socketAddress.ipAddress ?? "", destination.socketAddress.ipAddress ?? ""]
            return !(ends.contains("192.0.2.1") && ends.contains("192.0.2.2"))
        }
        network.run(for: 0.5)
        try caller.placeCall(.node(callee.environment.identity.nodeID)) { seconds, ready in network.run(atMost: seconds, until: ready) }
        network.run(for: 1)
        XCTAssertTrue(
            events.text.contains("relay 198.51.100.1:4740 refused the session: \(RelayRefusal.sourceLimit); trying the next relay"),
            events.text)
        let call = try XCTUnwrap(caller.calls.call)
        XCTAssertEqual(call.phase, .active, events.text)
        XCTAssertEqual(Set(call.paths.order.filter(\.isRelayed).map(\.nextHop)), [relays[1].address, relays[2].address])
        XCTAssertEqual(relays.map { $0.engine.sessionCount }, [1, 2, 2])
    }

    /// A direct call with relays: the offer carries the relay sessions, so the callee joins them as standby
    /// paths. When the direct path breaks, the call moves to a relay; when it opens again, back to direct.
    func testADirectCallFallsBackToARelayWhenTheDirectPathBreaksAndReturnsWhenItHeals() throws {
        let network = VirtualNetwork()
        let relays = [VirtualRelay(network, at: "198.51.100.1:4740"), VirtualRelay(network, at: "198.51.100.2:4740")]
        let calleeEvents = EventLog(), callerEvents = EventLog()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730", events: calleeEvents)
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000", events: callerEvents) { settings in
            settings.relays = relays.map(\.address)
        }
        let calleeAddress = callee.environment.transport.localAddress
        try caller.placeCall(.pinned(callee.environment.identity.nodeID, calleeAddress)) { seconds, ready in
            network.run(atMost: seconds, until: ready)
        }
        network.run(for: 1.5)
        let call = try XCTUnwrap(caller.calls.call)
        XCTAssertEqual(call.paths.active, .direct(calleeAddress), callerEvents.text)
        XCTAssertEqual(call.paths.ranked(at: network.clock.now()).count, 3, "direct plus two relays, all alive")
        XCTAssertEqual(callee.calls.call?.paths.ranked(at: network.clock.now()).count, 3, calleeEvents.text)

        var directBroken = true
        network.filter = { source, destination, _ in
            let ends = [source.socketAddress.ipAddress ?? "", destination.socketAddress.ipAddress ?? ""]
            return !(directBroken && ends.contains("192.0.2.1") && ends.contains("192.0.2.2"))
        }
        let before = concealed(caller)
        network.run(for: 1)
        XCTAssertEqual(call.paths.active?.isRelayed, true, callerEvents.text)
        XCTAssertEqual(callee.calls.call?.paths.active, call.paths.active)
        XCTAssertLessThanOrEqual((concealed(caller) - before) * 20, 300)

        directBroken = false
        let healing = concealed(caller)
        network.run(for: 2)
        XCTAssertEqual(call.paths.active, .direct(calleeAddress), "back on the direct path: \(callerEvents.text)")
        XCTAssertEqual(concealed(caller) - healing, 0, "moving to a path already heard loses nothing")
        XCTAssertTrue(callerEvents.text.contains("(a direct path opened)"), callerEvents.text)
    }
}
