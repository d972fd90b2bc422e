import BigInt
import Foundation

/// The birational map from an Ed25519 public key (a point on the twisted Edwards curve, RFC 8032) to the
/// X25519 public key of the same secret scalar (its Montgomery u-coordinate, RFC 7748): u = (1 + y) / (1 - y)
/// mod 2^255 - 19. This is how a node ID (the X25519 key) binds the node's Ed25519 signing key: both come
/// from one seed, and anyone holding only the node ID checks that a signing key maps onto it.
///
/// Only public data goes through here (no constant-time need). The map is 2-to-1 (a point and its negation
/// share u); a forger gains nothing from that, since signing with the negated key needs the negated secret.
public enum EdwardsToMontgomery {
    static let prime = (BigUInt(1) << 255) - 19

    /// The X25519 public key (32 bytes, little-endian u) for a 32-byte Ed25519 public key; nil when the bytes
    /// are not 32 long, y is not below the field prime, or y = 1 (the neutral point, which has no u).
    public static func montgomeryU(fromEdwardsPublicKey key: [UInt8]) -> [UInt8]? {
        guard key.count == 32 else { return nil }
        var littleEndian = key
        littleEndian[31] &= 0x7F  // the top bit is the sign of x, not part of y
        let y = BigUInt(Data(littleEndian.reversed()))
        guard y < prime, y != 1 else { return nil }
        let numerator = (1 + y) % prime
        let denominator = (prime + 1 - y) % prime
        let inverse = denominator.power(prime - 2, modulus: prime)  // Fermat: the prime field's inverse
        let u = (numerator * inverse) % prime
        let bigEndian = Array(u.serialize())
        return Array((Array(repeating: 0, count: 32 - bigEndian.count) + bigEndian).reversed())
    }

    /// Whether the Ed25519 public key `edwards` maps to the X25519 public key `montgomery` (both 32 bytes):
    /// u * (1 - y) = 1 + y mod p, checked with one multiplication instead of `montgomeryU`'s inversion, so a
    /// rendezvous checking every registration that arrives (before its signature) spends little on forged ones.
    public static func matches(edwards: [UInt8], montgomery: [UInt8]) -> Bool {
        guard edwards.count == 32, montgomery.count == 32 else { return false }
        var littleEndian = edwards
        littleEndian[31] &= 0x7F
        let y = BigUInt(Data(littleEndian.reversed()))
        let u = BigUInt(Data(montgomery.reversed()))
        guard y < prime, y != 1, u < prime else { return false }
        return (u * ((prime + 1 - y) % prime)) % prime == (1 + y) % prime
    }
}
