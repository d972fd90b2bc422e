import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// Rekeying during calls of whole nodes (real Opus and SRTP) on the simulated network and virtual clock: the
/// exact switch times, no lost or concealed frame across many rekeys (also with a packet reordered across the
/// switch and a lost `rekey` message), and forged, replayed or out-of-step `rekey` messages ignored and counted.
final class VirtualRekeyTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    private struct Call {
        let network: VirtualNetwork
        let caller: NodeCore
        let callee: NodeCore
        let start: ClockInstant
    }

    /// Two nodes that rekey every `seconds` (old receive keys kept `grace` s), the caller calling at `start`.
    private func call(
        rekeySeconds seconds: Double, grace: Double = 2, configure: @escaping (inout NodeSettings) -> Void = { _ in }
    ) throws -> Call {
        let network = VirtualNetwork()
        let settings: (inout NodeSettings) -> Void = {
            $0.rekey = RekeyPolicy(afterSeconds: seconds, graceSeconds: grace)
            configure(&$0)
        }
        let callee = VirtualNodes.node(network, at: "192.0.2.2:4730", configure: settings)
        VirtualNodes.listen(callee)
        let caller = VirtualNodes.node(network, at: "192.0.2.1:5000", configure: settings)
        let start = network.clock.now()
        try caller.calls.startCall(
            to: callee.environment.identity.nodeID, label: "b", targets: [.direct(callee.environment.transport.localAddress)],
            relayLinks: [], now: start)
        return Call(network: network, caller: caller, callee: callee, start: start)
    }

    private func keys(_ node: NodeCore) throws -> CallKeys { try XCTUnwrap(node.calls.call?.keys) }

    /// No frame lost, none concealed, nothing refused, on either side.
    private func assertClean(_ node: NodeCore, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let media = try XCTUnwrap(node.calls.call?.media, name, file: file, line: line)
        XCTAssertEqual(media.jitterStatistics.concealed, 0, "\(name): concealed frames", file: file, line: line)
        XCTAssertEqual(media.reception.cumulativeLost, 0, "\(name): lost packets", file: file, line: line)
        XCTAssertGreaterThan(media.reception.packetsReceived, 0, name, file: file, line: line)
        let counters = node.environment.counters
        XCTAssertEqual(
            [counters.srtpForged, counters.srtpReplayed, counters.sealedRejected, counters.rekeyRejected], [0, 0, 0, 0],
            "\(name): refused packets", file: file, line: line)
    }

    /// Message 2 reaches the caller at 20 ms, so its epoch 0 starts then; the rekey goes at 1,020 ms, its ack
    /// is back at 1,040 ms: the caller seals with epoch 1 from exactly then, and epoch 2 from 2,060 ms. The
    /// callee drops epoch 0's media keys 0.5 s after the first epoch-1 packet (by 1,070 ms).
    func testTheSwitchHappensExactlyOneRoundTripAfterTheRekeyIsDue() throws {
        let call = try call(rekeySeconds: 1, grace: 0.5)
        call.network.run(until: call.start.advanced(byMilliseconds: 1_039.9))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 0)
        XCTAssertTrue(try keys(call.caller).rekeyInFlight)
        XCTAssertEqual(try keys(call.callee).announcedEpoch, 1, "the callee derived epoch 1 at 1,030 ms")
        call.network.run(until: call.start.advanced(byMilliseconds: 1_040))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 1)
        call.network.run(until: call.start.advanced(byMilliseconds: 1_300))
        XCTAssertEqual(try keys(call.callee).media.inboundEpoch, 1)
        XCTAssertTrue(try keys(call.callee).media.hasPreviousInbound)
        call.network.run(until: call.start.advanced(byMilliseconds: 1_600))
        XCTAssertFalse(try keys(call.callee).media.hasPreviousInbound, "the grace is over")
        call.network.run(until: call.start.advanced(byMilliseconds: 2_059.9))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 1)
        call.network.run(until: call.start.advanced(byMilliseconds: 2_060))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 2)
    }

    func testSixRekeysEachWayLoseNoFrame() throws {
        let call = try call(rekeySeconds: 1)
        call.network.run(for: 6.5)
        for (node, name) in [(call.caller, "caller"), (call.callee, "callee")] {
            let keys = try keys(node)
            XCTAssertEqual(keys.sendEpoch, 6, name)
            XCTAssertEqual(keys.media.outboundEpoch, 6, name)
            XCTAssertEqual(keys.media.inboundEpoch, 6, name)
            // Sealed signaling moves to the peer's new epoch with its next sealed packet (keepalives: 1 s).
            XCTAssertTrue((5...6).contains(keys.receiveEpoch), "\(name): \(keys.receiveEpoch)")
            XCTAssertEqual(keys.rekeys, 6 + Int(keys.receiveEpoch), name)
            XCTAssertNil(node.calls.call?.handshake, "\(name) keeps no handshake state that could re-derive old keys")
            try assertClean(node, name)
        }
    }

    /// Every caller media packet is held until the next one is sent, and at each switch the first packet of
    /// the new epoch overtakes the last of the old: the old one still opens (previous epoch) and plays.
    func testAPacketReorderedAcrossEachSwitchStillPlays() throws {
        let call = try call(rekeySeconds: 1) {
            $0.jitterBufferMode = .fixed
            $0.jitterTargetMilliseconds = 60
        }
        let callerAddress = call.caller.environment.transport.localAddress
        var held: (bytes: [UInt8], epoch: UInt32)?
        var injecting = false
        var straddled = 0
        let network = call.network, caller = call.caller
        network.filter = { source, destination, bytes in
            guard !injecting, source == callerAddress, case .srtp = DatagramClass.classify(bytes),
                let epoch = caller.calls.call?.keys?.media.outboundEpoch
            else { return true }
            injecting = true
            defer { injecting = false }
            if let previous = held {
                if previous.epoch != epoch {
                    straddled += 1
                    network.send(bytes, from: source, to: destination)
                    network.send(previous.bytes, from: source, to: destination)
                    held = nil
                    return false
                }
                network.send(previous.bytes, from: source, to: destination)
            }
            held = (bytes, epoch)
            return false
        }
        network.run(for: 5.5)
        XCTAssertEqual(straddled, 5)
        XCTAssertEqual(try keys(call.callee).media.previousEpochPackets, 5, "each straddling packet opened in its epoch")
        try assertClean(call.callee, "callee")
        try assertClean(call.caller, "caller")
    }

    /// The first `rekey` of each epoch is lost: it is resent 150 ms later and the switch follows its ack
    /// (epoch n+1 is due 1 s after epoch n started: switches at 1,190, 2,360, 3,530 and 4,700 ms).
    func testALostRekeyMessageOnlyDelaysTheSwitch() throws {
        let call = try call(rekeySeconds: 1)
        let callerAddress = call.caller.environment.transport.localAddress
        var dropped: Set<UInt32> = []
        let caller = call.caller
        call.network.filter = { source, _, bytes in
            guard source == callerAddress, bytes.first == ControlPacketType.sealed.rawValue,
                let keys = caller.calls.call?.keys, keys.rekeyInFlight
            else { return true }
            // The rekey is the first sealed packet once one is in flight (sendReliable seals it at once).
            return !dropped.insert(keys.sendEpoch + 1).inserted
        }
        call.network.run(until: call.start.advanced(byMilliseconds: 1_189.9))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 0)
        call.network.run(until: call.start.advanced(byMilliseconds: 1_190))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 1, "resent at 1,170 ms, acknowledged at 1,190 ms")
        call.network.run(until: call.start.advanced(byMilliseconds: 4_699.9))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 3)
        call.network.run(until: call.start.advanced(byMilliseconds: 5_500))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 4)
        XCTAssertEqual(dropped.count, 4)
        try assertClean(call.callee, "callee")
        try assertClean(call.caller, "caller")
    }

    /// The callee's acknowledgement of the first rekey is lost: the caller resends the `rekey`, the callee
    /// acknowledges the duplicate again without deriving another epoch, and the caller switches then.
    func testALostAcknowledgementIsAnsweredAgainWithoutAdvancingTheChain() throws {
        let call = try call(rekeySeconds: 1)
        let calleeAddress = call.callee.environment.transport.localAddress
        var droppedAck = false
        let caller = call.caller, callee = call.callee
        call.network.filter = { source, _, bytes in
            guard !droppedAck, source == calleeAddress, bytes.first == ControlPacketType.sealed.rawValue,
                caller.calls.call?.keys?.rekeyInFlight == true, callee.calls.call?.keys?.announcedEpoch == 1
            else { return true }
            droppedAck = true  // the first sealed packet once the callee took epoch 1: its acknowledgement
            return false
        }
        call.network.run(until: call.start.advanced(byMilliseconds: 1_189.9))
        XCTAssertTrue(droppedAck)
        XCTAssertEqual(try keys(call.caller).sendEpoch, 0)
        call.network.run(until: call.start.advanced(byMilliseconds: 1_190))
        XCTAssertEqual(try keys(call.caller).sendEpoch, 1, "resent at 1,170 ms, acknowledged again at 1,190 ms")
        XCTAssertEqual(try keys(call.callee).announcedEpoch, 1, "the duplicate did not advance the chain")
        call.network.run(for: 1)
        XCTAssertEqual(try keys(call.callee).media.inboundEpoch, 1)
        try assertClean(call.callee, "callee")
        try assertClean(call.caller, "caller")
    }

    /// A recorded `rekey` sent again, a modified one, and an authentic one naming the wrong epoch: none
    /// changes any key; the first two fail as sealed packets, the third is counted as a rekey out of step.
    func testForgedReplayedAndOutOfStepRekeysAreIgnoredAndCounted() throws {
        let call = try call(rekeySeconds: 1)
        let callerAddress = call.caller.environment.transport.localAddress
        let calleeAddress = call.callee.environment.transport.localAddress
        var recorded: [UInt8]?
        let caller = call.caller
        call.network.filter = { source, _, bytes in
            if source == callerAddress, recorded == nil, bytes.first == ControlPacketType.sealed.rawValue,
                caller.calls.call?.keys?.rekeyInFlight == true
            {
                recorded = bytes
            }
            return true
        }
        call.network.run(for: 1.5)
        let rekey = try XCTUnwrap(recorded)
        let callee = try keys(call.callee)
        XCTAssertEqual(callee.media.inboundEpoch, 1)
        XCTAssertEqual(callee.announcedEpoch, 1)

        call.network.send(rekey, from: callerAddress, to: calleeAddress)
        call.network.run(for: 0.1)
        XCTAssertEqual(call.callee.environment.counters.sealedRejected, 1, "the replay")
        var forged = rekey
        forged[forged.count - 3] ^= 0x20
        call.network.send(forged, from: callerAddress, to: calleeAddress)
        var forgedNonce = rekey
        forgedNonce[12] ^= 0x01  // the nonce's last byte: a fresh nonce, but the tag no longer matches
        call.network.send(forgedNonce, from: callerAddress, to: calleeAddress)
        call.network.run(for: 0.1)
        XCTAssertEqual(call.callee.environment.counters.sealedRejected, 3, "the forgeries")

        let ours = try XCTUnwrap(call.caller.calls.call)
        call.caller.calls.sendSealed(ours, .rekey(sequence: 9_999, epoch: 7))
        call.network.run(for: 0.1)
        XCTAssertEqual(call.callee.environment.counters.rekeyRejected, 1, "out of step")
        XCTAssertEqual(callee.announcedEpoch, 1)
        XCTAssertEqual(callee.media.inboundEpoch, 1)
        call.network.run(for: 0.5)
        XCTAssertEqual(callee.announcedEpoch, 2, "the real next rekey still works")
        XCTAssertEqual(callee.media.inboundEpoch, 2)
        XCTAssertEqual(try call.callee.calls.call?.media?.jitterStatistics.concealed, 0)
    }
}
