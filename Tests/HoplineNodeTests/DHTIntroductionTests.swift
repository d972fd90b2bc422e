import Foundation
import HoplineCore
import HoplineDiscovery
import HoplineNet
@testable import HoplineNode
import XCTest

/// A listener's side of DHT introductions, on a virtual network with real OpenDHT runners: a connection
/// request's addresses are only claimed by whoever signed it, so the callee sends each at most two 48-byte
/// checks, to at most eight addresses, and none at all for a caller its --accept-from list excludes.
final class DHTIntroductionTests: XCTestCase {
    private struct Setup {
        let network: VirtualNetwork
        let callee: NodeCore
        let events: EventLog
        let attacker: DHTRunner
        let calleeRunner: DHTRunner
    }

    private func setUpCallee(acceptFrom: Set<NodeID> = []) throws -> Setup {
        let network = VirtualNetwork()
        let events = EventLog()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730", events: events)
        callee.calls.listenPolicy = ListenPolicy(autoAnswer: true, acceptFrom: acceptFrom)
        let calleeRunner = try DHTRunner(settings: DHTSettings())
        let bootstrap = DHTBootstrapNode(host: "127.0.0.1", port: calleeRunner.boundPort)
        let attacker = try DHTRunner(settings: DHTSettings(bootstrap: [bootstrap]))
        XCTAssertEqual(attacker.bootstrapAndWait(bootstrap, timeoutSeconds: 5), true)
        callee.attachDiscovery(runner: calleeRunner, publish: true)
        addTeardownBlock { attacker.shutdown(); calleeRunner.shutdown() }
        return Setup(network: network, callee: callee, events: events, attacker: attacker, calleeRunner: calleeRunner)
    }

    /// A request signed by a fresh identity naming `count` addresses (the first is the "victim").
    private func putRequest(_ setup: Setup, from caller: NodeIdentity, count: Int) throws {
        let candidates = try (0..<count).map { Candidate(kind: .host, address: try PeerAddress(parsing: "198.51.100.\($0 + 1):1000")) }
        let body = try Introduction(session: 77, candidates: candidates)
            .sealedBody(from: caller.nodeID, to: setup.callee.environment.identity.nodeID, kind: .request)
        let now = WallClock.milliseconds()
        let record = try DiscoveryRecord.signed(
            kind: .request, by: caller, sequence: now, issuedMilliseconds: now, lifetimeMilliseconds: 30_000, body: body)
        XCTAssertEqual(
            try setup.attacker.putAndWait(record.serialized(), at: .introductions(to: setup.callee.environment.identity.nodeID), timeoutSeconds: 10),
            true)
    }

    /// Runs the virtual network in step with real time (OpenDHT's events arrive on its own threads) until
    /// `condition` holds or `seconds` of real time pass, then a further virtual second for the paced checks.
    private func pump(_ setup: Setup, seconds: Double, until condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !condition() {
            setup.network.run(for: 0.02)
            usleep(10_000)
        }
        setup.network.run(for: 1)
    }

    func testAClaimedAddressGetsAtMostTwoChecksAndAtMostEightAddressesArePunched() throws {
        let setup = try setUpCallee()
        var sent: [PeerAddress: (packets: Int, bytes: Int)] = [:]
        setup.network.filter = { _, destination, bytes in
            sent[destination, default: (0, 0)].packets += 1
            sent[destination, default: (0, 0)].bytes += bytes.count
            return true
        }
        try putRequest(setup, from: .generate(), count: 12)
        pump(setup, seconds: 10) { setup.events.text.contains("DHT: connection request from") }
        XCTAssertTrue(setup.events.text.contains("DHT: connection request from"), setup.events.text)
        let punched = sent.filter { $0.key.description.hasPrefix("198.51.100.") }
        XCTAssertEqual(punched.count, PunchSchedule.maximumTargets, "\(punched)")
        for (address, count) in punched {
            XCTAssertLessThanOrEqual(count.packets, PunchSchedule.claimedTries, "\(address)")
            XCTAssertLessThanOrEqual(count.bytes, 2 * ControlPacket.paddedRequestLength, "\(address)")
        }
    }

    func testACallerOutsideTheAcceptListIsNotPunched() throws {
        let friend = NodeIdentity.generate()
        let setup = try setUpCallee(acceptFrom: [friend.nodeID])
        var punched = 0
        setup.network.filter = { _, destination, _ in
            if destination.description.hasPrefix("198.51.100.") { punched += 1 }
            return true
        }
        try putRequest(setup, from: .generate(), count: 3)
        // Wait until the callee has seen (and ignored) it.
        let discovery = try XCTUnwrap(setup.callee.discovery)
        pump(setup, seconds: 10) { discovery.introductionsIgnored > 0 }
        XCTAssertEqual(discovery.introductionsIgnored, 1)
        XCTAssertEqual(discovery.introductionsHandled, 0)
        XCTAssertEqual(punched, 0)
        // The friend's request is acted on.
        try putRequest(setup, from: friend, count: 3)
        pump(setup, seconds: 10) { discovery.introductionsHandled > 0 }
        XCTAssertEqual(discovery.introductionsHandled, 1)
        XCTAssertEqual(punched, 3 * PunchSchedule.claimedTries)
    }
}
