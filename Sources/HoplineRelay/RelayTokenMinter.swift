import Crypto
import HoplineNet

/// Mints and verifies session tokens: MAC = HMAC-SHA256(relay secret, the token's first 72 bytes) truncated
/// to 16. The secret lives for the relay process; tokens from a restarted relay no longer verify.
public struct RelayTokenMinter {
    private let secret: SymmetricKey

    public init(secret: SymmetricKey = SymmetricKey(size: .bits256)) { self.secret = secret }

    public func mint(channel: UInt32, expiry: UInt32, callerKey: [UInt8], calleeKey: [UInt8]) -> RelayToken {
        var token = RelayToken(channel: channel, expiry: expiry, callerKey: callerKey, calleeKey: calleeKey, mac: [])
        token.mac = mac(token)
        return token
    }

    /// True when the token's MAC is this relay's MAC over its fields (the expiry is checked separately).
    public func verify(_ token: RelayToken) -> Bool { constantTimeEqual(token.mac, mac(token)) }

    private func mac(_ token: RelayToken) -> [UInt8] {
        Array(Array(HMAC<SHA256>.authenticationCode(for: token.signedBytes, using: secret)).prefix(RelayToken.macLength))
    }
}
