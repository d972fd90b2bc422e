import Crypto
import HoplineNet

/// Helpers shared by the Noise and identity tests (named to stay clear of other test files' helpers).
enum NoiseTestSupport {
    struct BadHex: Error { let text: String }

    /// Decodes hex (either case); throws on odd length or a non-hex character.
    static func hex(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw BadHex(text: text) }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw BadHex(text: text)
            }
            bytes.append(byte)
        }
        return bytes
    }

    static func randomBytes<G: RandomNumberGenerator>(_ count: Int, using generator: inout G) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Both sides of a completed `Noise_IK` handshake between fresh keys.
    static func completedHandshakes() throws -> (initiator: NoiseIKHandshake, responder: NoiseIKHandshake) {
        let responderKey = Curve25519.KeyAgreement.PrivateKey()
        var initiator = try NoiseIKHandshake.initiator(
            localStatic: Curve25519.KeyAgreement.PrivateKey(), remoteStatic: responderKey.publicKey)
        var responder = try NoiseIKHandshake.responder(localStatic: responderKey)
        _ = try responder.readMessage(try initiator.writeMessage())
        _ = try initiator.readMessage(try responder.writeMessage())
        return (initiator, responder)
    }
}
