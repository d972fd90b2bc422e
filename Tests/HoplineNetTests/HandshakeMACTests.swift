import Crypto
import HoplineNet
import XCTest

/// mac1 on message 1: made with the responder's public key, checked with the same; anything else fails.
final class HandshakeMACTests: XCTestCase {
    func testAMacMadeForANodeVerifiesThereAndNowhereElse() {
        let responder = Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
        let other = Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
        let noise: [UInt8] = (0..<96).map { UInt8($0) }
        let sent = HandshakeMAC(responderStaticKey: responder).appending(to: noise, session: 7)
        XCTAssertEqual(sent.count, noise.count + HandshakeMAC.length)
        let mac = HandshakeMAC(responderStaticKey: responder)
        XCTAssertEqual(mac.verified(sent, session: 7).map(Array.init), noise)
        XCTAssertNil(mac.verified(sent, session: 8), "another session")
        XCTAssertNil(HandshakeMAC(responderStaticKey: other).verified(sent, session: 7), "another node")
        for index in [0, 50, sent.count - 1] {
            var tampered = sent
            tampered[index] ^= 0x01
            XCTAssertNil(mac.verified(tampered, session: 7), "byte \(index) changed")
        }
        XCTAssertNil(mac.verified(Array(sent.prefix(HandshakeMAC.length)), session: 7), "nothing before the mac")
        XCTAssertNil(mac.verified([], session: 7))
    }
}
