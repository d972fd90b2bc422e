import HoplineCore
@testable import HoplineNet
import Foundation
@testable import HoplineNode
import XCTest

/// RTCP in calls between whole nodes (real Opus and SRTP/SRTCP) on the simulated network's virtual clock:
/// the round-trip time from LSR/DLSR, the sender adaptation driven by the peer's receiver reports, and
/// refused SRTCP counted and dropped.
final class VirtualCallRTCPTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    private func connect(_ network: VirtualNetwork, _ caller: NodeCore, _ callee: NodeCore) throws -> (MediaSession, MediaSession) {
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(callee.environment.transport.localAddress)],
            relayLinks: [], now: network.clock.now())
        XCTAssertTrue(network.run(atMost: 2) { caller.calls.call?.media != nil && callee.calls.call?.media != nil })
        return (try XCTUnwrap(caller.calls.call?.media), try XCTUnwrap(callee.calls.call?.media))
    }

    func testRoundTripTimeFromRTCPMatchesTheSimulatedNetwork() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        // 10 ms each way plus 15 ms on every datagram to or from the callee: 25 ms each way.
        network.extraLatency[callee.environment.transport.localAddress] = 15
        let (ours, theirs) = try connect(network, caller, callee)
        network.run(for: 3.5)
        // NTP middle-32 timestamps count 1/65536 s: two truncations leave at most 2 units (0.031 ms).
        XCTAssertEqual(try XCTUnwrap(ours.rtcpRoundTripMilliseconds), 50, accuracy: 0.031)
        XCTAssertEqual(try XCTUnwrap(theirs.rtcpRoundTripMilliseconds), 50, accuracy: 0.031)
        // Reports at 250 ms, then every second, both kinds both ways.
        XCTAssertGreaterThanOrEqual(ours.rtcpCounters.receiverReportsReceived, 3)
        XCTAssertGreaterThanOrEqual(theirs.rtcpCounters.senderReportsReceived, 3)
        XCTAssertEqual(ours.rtcpCounters.receiverReportsSent, theirs.rtcpCounters.receiverReportsReceived, "no report lost on a clean path")
        XCTAssertEqual(caller.environment.counters.srtcpForged + caller.environment.counters.srtcpMalformed, 0)
        XCTAssertEqual(callee.environment.counters.srtcpAccepted, theirs.rtcpCounters.senderReportsReceived + theirs.rtcpCounters.receiverReportsReceived)
        XCTAssertEqual(ours.peerReport?.fractionLost, 0)

        // The --stats line carries them, and the one-way mouth-to-ear estimate built on the RTCP RTT.
        let status = try VirtualNodes.stats(of: caller, on: network)
        XCTAssertEqual(try XCTUnwrap(status.rtcpRttMs), 50, accuracy: 0.031)
        XCTAssertEqual(status.peerLossPercent, 0)
        XCTAssertEqual(status.plannedLossPercent, 0, "a clean path plans no FEC")
        let buffer = try XCTUnwrap(status.bufferDelayMs)
        XCTAssertEqual(try XCTUnwrap(status.mouthToEarMs), 25 + buffer + 20 + ours.lookaheadMilliseconds, accuracy: 0.05)
        XCTAssertGreaterThan(status.rtcp?.receiverReportsReceived ?? 0, 2)
        XCTAssertTrue(status.line.contains("mouth-to-ear"), status.line)
    }

    func testReportsAdaptTheSenderUpUnderLossAndBackDownWhenItClears() throws {
        // Without RED, which caps the planned FEC loss while it carries copies (VirtualCallREDTests).
        let network = VirtualNetwork()
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730") { $0.redundantAudio = false }
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000") { $0.redundantAudio = false }
        let callerAddress = caller.environment.transport.localAddress
        var dropping = false
        var media = 0
        // Every fourth media packet from the caller is lost while `dropping`: 25 %.
        network.filter = { source, _, bytes in
            guard source == callerAddress, DatagramClass.classify(bytes) == .srtp else { return true }
            media += 1
            return !(dropping && media % 4 == 0)
        }
        let (ours, theirs) = try connect(network, caller, callee)
        network.run(for: 1.5)
        XCTAssertEqual(ours.currentCodecSettings.expectedLossPercent, 0, "the first report (clean) replaces the 5 % guess")
        dropping = true
        XCTAssertTrue(network.run(atMost: 20) { ours.currentCodecSettings.expectedLossPercent == 20 })
        XCTAssertEqual(ours.currentCodecSettings.bitrate, 24_000, "75 % of the base above 15 % smoothed loss")
        XCTAssertEqual(Double(try XCTUnwrap(ours.peerReport).fractionLost), 64, accuracy: 3, "the peer reports 25 %")
        XCTAssertEqual(theirs.currentCodecSettings.expectedLossPercent, 0, "the other direction is clean")
        dropping = false
        XCTAssertTrue(network.run(atMost: 40) { ours.currentCodecSettings.expectedLossPercent == 0 })
        XCTAssertEqual(ours.currentCodecSettings.bitrate, 32_000)
        XCTAssertGreaterThanOrEqual(ours.senderStatistics.adaptations, 4)
    }

    func testForgedReplayedAndMalformedRTCPIsCountedAndDropped() throws {
        let (network, caller, callee) = VirtualNodes.pair()
        let callerAddress = caller.environment.transport.localAddress, calleeAddress = callee.environment.transport.localAddress
        var captured: [UInt8]?
        network.filter = { source, _, bytes in
            if source == callerAddress, DatagramClass.classify(bytes) == .srtcp, captured == nil { captured = bytes }
            return true
        }
        let (ours, theirs) = try connect(network, caller, callee)
        network.run(for: 1.5)
        let report = try XCTUnwrap(captured)
        let before = callee.environment.counters
        let reportsBefore = theirs.rtcpCounters
        // Altered on the way: a fresh SRTCP index (an old one would be refused as a replay before any
        // authentication), one bit flipped inside the encrypted body.
        let block = RTCPPacket.ReportBlock(
            sourceSSRC: 1, fractionLost: 255, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0, lastSenderReport: 0,
            delaySinceLastSenderReport: 0)
        var forged = try ours.cipher.protectRTCP(RTCPPacket.receiverReport(.init(ssrc: 1, blocks: [block])).serialized())
        forged[12] ^= 0x01
        // A report that authenticates but does not parse: 5 report blocks declared, none present.
        let truncated = try ours.cipher.protectRTCP([0x85, 201, 0, 1, 0, 0, 0, 9])
        // Authenticated RTCP of a type Hopline does not use (BYE): ignored, as RFC 3550 asks.
        let bye = try ours.cipher.protectRTCP([0x81, 203, 0, 1, 0, 0, 0, 9])
        for bytes in [forged, report, [0x80, 201, 0, 1, 0, 0, 0, 9], truncated, bye] {
            network.send(bytes, from: callerAddress, to: calleeAddress)
        }
        network.run(for: 0.05)
        let after = callee.environment.counters
        XCTAssertEqual(after.srtcpForged - before.srtcpForged, 1)
        XCTAssertEqual(after.srtcpReplayed - before.srtcpReplayed, 1)
        XCTAssertEqual(after.srtcpMalformed - before.srtcpMalformed, 2, "too short for an SRTCP tag; authenticated but truncated")
        XCTAssertEqual(theirs.rtcpCounters.ignored - reportsBefore.ignored, 1)
        XCTAssertEqual(theirs.rtcpCounters.receiverReportsReceived, reportsBefore.receiverReportsReceived)
        // The call goes on: media and reports keep flowing.
        let received = theirs.reception.packetsReceived
        network.run(for: 1.5)
        XCTAssertGreaterThan(theirs.reception.packetsReceived, received + 60)
        XCTAssertGreaterThan(theirs.rtcpCounters.receiverReportsReceived, reportsBefore.receiverReportsReceived)
        XCTAssertEqual(callee.calls.call?.phase, .active)
    }
}
