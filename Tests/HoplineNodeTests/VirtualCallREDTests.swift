import Foundation
import HoplineCore
@testable import HoplineNet
@testable import HoplineNode
import XCTest

/// RED (RFC 2198) in calls between whole nodes (real Opus, SRTP/SRTCP, RTCP) on the simulated network's
/// virtual clock: negotiated in the offer, switched on by the peer's reports of loss, rebuilding bursts of two,
/// off again on a clean path; never sent to a peer that did not offer it.
final class VirtualCallREDTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    private func call(calleeOffersRED: Bool) throws -> (VirtualNetwork, MediaSession, MediaSession, (Bool) -> Void, NodeCore) {
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730") { $0.redundantAudio = calleeOffersRED }
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000")
        let callerAddress = caller.environment.transport.localAddress
        var dropping = false
        var media = 0
        // While `dropping`: bursts of two of the caller's media packets lost, every 12 (~17 % loss).
        network.filter = { source, _, bytes in
            guard source == callerAddress, DatagramClass.classify(bytes) == .srtp else { return true }
            media += 1
            return !(dropping && media % 12 < 2)
        }
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(callee.environment.transport.localAddress)],
            relayLinks: [], now: network.clock.now())
        XCTAssertTrue(network.run(atMost: 2) { caller.calls.call?.media != nil && callee.calls.call?.media != nil })
        return (network, try XCTUnwrap(caller.calls.call?.media), try XCTUnwrap(callee.calls.call?.media), { dropping = $0 }, caller)
    }

    func testREDSwitchesOnUnderBurstsRebuildsThemAndSwitchesOffOnACleanPath() throws {
        let (network, ours, theirs, setDropping, caller) = try call(calleeOffersRED: true)
        XCTAssertTrue(ours.sendsRED && theirs.sendsRED, "both offered RED")
        network.run(for: 3)
        XCTAssertEqual(ours.senderStatistics.redundancyBytesSent, 0, "clean path: no redundancy")
        XCTAssertEqual(ours.redundancyDistance, 0)
        let clean = try VirtualNodes.stats(of: caller, on: network)
        XCTAssertEqual(clean.redNegotiated, true)
        XCTAssertEqual(clean.redDistance, 0)
        XCTAssertEqual(clean.redundancyBytesSent, 0)

        setDropping(true)
        XCTAssertTrue(network.run(atMost: 10) { ours.redundancyDistance == 2 })
        let concealedBefore = theirs.jitterStatistics.concealed
        network.run(for: 6)
        XCTAssertGreaterThan(ours.senderStatistics.redundancyBytesSent, 0)
        XCTAssertEqual(ours.currentCodecSettings.expectedLossPercent, 1, "copies stand in for most of FEC's LBRR")
        XCTAssertGreaterThan(theirs.jitterStatistics.burstCopiesUsed, 20, "copies two packets later rebuilt bursts: \(theirs.jitterStatistics)")
        // About 25 bursts of two in 6 s: with RED nearly none is concealed (one frame of FEC could rebuild at
        // most one frame of each).
        XCTAssertLessThanOrEqual(theirs.jitterStatistics.concealed - concealedBefore, 4, "\(theirs.jitterStatistics)")
        XCTAssertEqual(theirs.senderStatistics.redundancyBytesSent, 0, "the other direction stays clean and plain")
        let bursty = try VirtualNodes.stats(of: caller, on: network)
        XCTAssertEqual(bursty.redDistance, 2)
        XCTAssertEqual(bursty.redundancyBytesSent, ours.senderStatistics.redundancyBytesSent)
        XCTAssertGreaterThan(bursty.redundancyBytesSent ?? 0, 0)

        setDropping(false)
        XCTAssertTrue(network.run(atMost: 40) { ours.redundancyDistance == 0 })
        let overhead = ours.senderStatistics.redundancyBytesSent
        network.run(for: 2)
        XCTAssertEqual(ours.senderStatistics.redundancyBytesSent, overhead, "off again: no more overhead")
    }

    func testAPeerThatDidNotOfferREDNeverGetsIt() throws {
        let (network, ours, theirs, setDropping, caller) = try call(calleeOffersRED: false)
        XCTAssertFalse(ours.sendsRED, "the callee did not offer RED")
        XCTAssertFalse(theirs.sendsRED, "the callee has RED turned off")
        setDropping(true)
        network.run(for: 8)
        XCTAssertGreaterThanOrEqual(ours.currentCodecSettings.expectedLossPercent, 10, "the loss is seen")
        XCTAssertEqual(ours.senderStatistics.redPacketsSent, 0)
        XCTAssertEqual(try VirtualNodes.stats(of: caller, on: network).redNegotiated, false)
        XCTAssertEqual(theirs.jitterStatistics.redundantCopiesUsed, 0)
        XCTAssertGreaterThan(theirs.jitterStatistics.concealed, 10, "bursts FEC alone cannot rebuild")
    }
}
