import Crypto
import HoplineNet
import XCTest

/// The rekey chains a completed handshake gives both sides: the same keys per direction and epoch, different
/// keys in every other case, and nothing shared with the epoch-0 keys.
final class NoiseRekeyChainTests: XCTestCase {
    func testBothSidesDeriveTheSameKeysEpochByEpochAndEachEpochsKeysDiffer() throws {
        let (initiator, responder) = try NoiseTestSupport.completedHandshakes()
        var (initiatorOut, initiatorIn) = try initiator.rekeyChains()
        var (responderOut, responderIn) = try responder.rekeyChains()
        var seen: Set<[UInt8]> = [
            try initiator.srtpKeyingMaterial().outbound, try initiator.srtpKeyingMaterial().inbound,
        ]
        for epoch in UInt32(1)...5 {
            let sent = initiatorOut.advance(), received = responderIn.advance()
            let answered = responderOut.advance(), heard = initiatorIn.advance()
            XCTAssertEqual([sent.epoch, received.epoch, answered.epoch, heard.epoch], [epoch, epoch, epoch, epoch])
            XCTAssertEqual(sent.srtp, received.srtp)
            XCTAssertEqual(answered.srtp, heard.srtp)
            XCTAssertEqual(sent.srtp.count, 28)
            XCTAssertTrue(seen.insert(sent.srtp).inserted, "epoch \(epoch) repeats SRTP keys")
            XCTAssertTrue(seen.insert(answered.srtp).inserted, "the two directions share SRTP keys")
            let sealed = try sent.signaling.encrypt(nonce: UInt64(epoch), [1, 2, 3], associatedData: [7])
            XCTAssertEqual(try received.signaling.decrypt(nonce: UInt64(epoch), sealed, associatedData: [7]), [1, 2, 3])
            XCTAssertThrowsError(try heard.signaling.decrypt(nonce: UInt64(epoch), sealed, associatedData: [7]), "other direction")
        }
    }

    func testAnEpochsSignalingKeyOpensNothingSealedInTheEpochBeforeOrAfter() throws {
        let (initiator, responder) = try NoiseTestSupport.completedHandshakes()
        var sender = try initiator.rekeyChains().outbound
        var receiver = try responder.rekeyChains().inbound
        let transport = try initiator.split()
        let epoch0 = try transport.encrypt(nonce: 1, [42])
        let one = sender.advance(), two = sender.advance()
        let oneIn = receiver.advance(), twoIn = receiver.advance()
        let sealedOne = try one.signaling.encrypt(nonce: 1, [42])
        XCTAssertThrowsError(try oneIn.signaling.decrypt(nonce: 1, epoch0))
        XCTAssertThrowsError(try twoIn.signaling.decrypt(nonce: 1, sealedOne))
        XCTAssertEqual(try oneIn.signaling.decrypt(nonce: 1, sealedOne), [42])
        XCTAssertEqual(try twoIn.signaling.decrypt(nonce: 1, try two.signaling.encrypt(nonce: 1, [42])), [42])
    }

    func testTheChainNeedsACompletedHandshake() throws {
        let responderKey = Curve25519.KeyAgreement.PrivateKey()
        let initiator = try NoiseIKHandshake.initiator(
            localStatic: Curve25519.KeyAgreement.PrivateKey(), remoteStatic: responderKey.publicKey)
        XCTAssertThrowsError(try initiator.rekeyChains())
    }
}
