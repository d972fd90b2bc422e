import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// The key epochs of a rekeyed call without a network: the receive side's epoch set, and SRTP across an
/// epoch switch (reordering, replays, the sequence-number wrap and rollover counters).
final class CallKeysTests: XCTestCase {
    override func setUpWithError() throws { try SRTPLibrary.initialize() }

    /// Opens `packet` (the key it was sealed with) in `epochs`; nil when no kept key matches.
    private func open(_ epochs: inout InboundKeyEpochs<Int>, _ packet: Int) -> UInt32? {
        epochs.open { key -> Result<Int, CancellationError>? in key == packet ? .success(key) : nil }?.epoch
    }

    func testAnnouncedEpochsBecomeCurrentOnTheirFirstPacketAndThePreviousStaysUntilRetired() {
        var epochs = InboundKeyEpochs(key: 100)
        epochs.announce(epoch: 1, key: 101)
        XCTAssertEqual(open(&epochs, 100), 0)
        XCTAssertEqual(epochs.current, 0, "announcing does not switch")
        XCTAssertEqual(open(&epochs, 101), 1)
        XCTAssertEqual(epochs.current, 1)
        XCTAssertTrue(epochs.hasPrevious)
        XCTAssertEqual(open(&epochs, 100), 0, "a late packet of the previous epoch still opens")
        XCTAssertEqual(epochs.current, 1, "and does not switch back")
        epochs.retirePrevious()
        XCTAssertFalse(epochs.hasPrevious)
        XCTAssertNil(open(&epochs, 100))
        XCTAssertNil(open(&epochs, 999), "a key never announced")
    }

    func testASkippedAnnouncedEpochIsDroppedAndAnnouncementsAreBounded() {
        var epochs = InboundKeyEpochs(key: 100)
        epochs.announce(epoch: 1, key: 101)
        epochs.announce(epoch: 2, key: 102)
        XCTAssertEqual(open(&epochs, 102), 2, "the peer may skip an epoch it never used")
        XCTAssertNil(open(&epochs, 101), "the skipped epoch is gone")
        XCTAssertEqual(open(&epochs, 100), 0, "the last used epoch is the previous")
        for epoch in UInt32(3)...6 { epochs.announce(epoch: epoch, key: 100 + Int(epoch)) }
        XCTAssertEqual(epochs.announcedCount, InboundKeyEpochs<Int>.maximumAnnounced)
        XCTAssertNil(open(&epochs, 103), "the oldest announcements give way")
        XCTAssertEqual(open(&epochs, 106), 6)
    }

    /// A staged outbound epoch starts at once far from the wrap, but waits for the wrap within
    /// `switchMargin` of it; a whole sequence cycle later both sides' rollover counters still agree, and a
    /// packet reordered across the switch opens in its own epoch.
    func testMediaEpochsSwitchAwayFromTheWrapAndRolloverCountersStayInStep() throws {
        let (initiator, responder) = try LabKeys.handshakes()
        let sender = try SRTPMediaCipher(handshake: initiator), receiver = try SRTPMediaCipher(handshake: responder)
        var outbound = try initiator.rekeyChains().outbound, inbound = try responder.rekeyChains().inbound
        var sequence: UInt16 = 62_000
        var timestamp: UInt32 = 0
        func packet() -> [UInt8] {
            defer { sequence &+= 1; timestamp &+= 960 }
            return RTPPacket(sequenceNumber: sequence, timestamp: timestamp, ssrc: 0x0BAD_CAFE, payload: [1, 2, 3, UInt8(sequence & 0xFF)])
                .serialized()
        }
        func send(_ count: Int) throws {
            for _ in 0..<count {
                let plain = packet()
                XCTAssertEqual(try receiver.unprotect(try sender.protect(plain)), plain, "sequence \(sequence &- 1)")
            }
        }
        func rekey() throws {
            let next = outbound.advance()
            try receiver.announceInbound(epoch: next.epoch, keys: SRTPKeyMaterial(deriving: inbound.advance().srtp))
            try sender.stageOutbound(epoch: next.epoch, keys: SRTPKeyMaterial(deriving: next.srtp))
        }
        try send(10)
        try rekey()
        try send(65_536 - 62_010)
        XCTAssertEqual(sequence, 0)
        XCTAssertEqual(sender.outboundEpoch, 0, "62,010...65,535 are within 4,096 of the wrap")
        XCTAssertTrue(sender.hasStagedOutbound)
        try send(1)
        XCTAssertEqual(sender.outboundEpoch, 1, "the first packet after the wrap")
        XCTAssertEqual(receiver.inboundEpoch, 1)
        try send(70_000)
        XCTAssertEqual(receiver.inboundEpoch, 1, "a whole cycle (rollover counter 0 -> 1) in the new epoch")

        // Far from the wrap the switch is immediate; deliver the last old packet after the first new one.
        XCTAssertLessThan(Int(sequence), 65_536 - SRTPMediaCipher.switchMargin)
        let lastOld = try sender.protect(packet())
        try rekey()
        let firstNew = try sender.protect(packet())
        XCTAssertEqual(sender.outboundEpoch, 2)
        XCTAssertNoThrow(try receiver.unprotect(firstNew))
        XCTAssertEqual(receiver.inboundEpoch, 2)
        XCTAssertNoThrow(try receiver.unprotect(lastOld), "reordered across the switch")
        XCTAssertEqual(receiver.previousEpochPackets, 1)
        XCTAssertThrowsError(try receiver.unprotect(lastOld)) { XCTAssertEqual($0 as? MediaCipherRejection, .replayed) }
        XCTAssertThrowsError(try receiver.unprotect(firstNew)) { XCTAssertEqual($0 as? MediaCipherRejection, .replayed) }
        receiver.retirePreviousInbound()
        XCTAssertThrowsError(try receiver.unprotect(lastOld)) { XCTAssertEqual($0 as? MediaCipherRejection, .forged) }
        var forged = try sender.protect(packet())
        forged[forged.count - 1] ^= 1
        XCTAssertThrowsError(try receiver.unprotect(forged)) { XCTAssertEqual($0 as? MediaCipherRejection, .forged) }
        try send(5)
    }
}
