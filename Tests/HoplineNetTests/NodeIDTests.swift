import Crypto
import HoplineNet
import HoplineTestSupport
import XCTest

/// Node ID encoding, parsing and typo detection; expected strings were computed independently with
/// Python's base64.b32encode and hashlib.
final class NodeIDTests: XCTestCase {
    static let sequentialKey = [UInt8](0..<32)
    static let sequentialID = "hl-aaaqea-yeauda-ocajbi-fqydio-b4ibce-qtcqkr-mfyyde-nbwha5-dypqbm"

    func testKnownAnswers() throws {
        let id = try NodeID(publicKeyBytes: Self.sequentialKey)
        XCTAssertEqual(id.description, Self.sequentialID)
        XCTAssertEqual(id.compactString, "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypqbm")
        XCTAssertEqual(id.abbreviated, "hl-aaaqea-yeauda")
        let vectorResponder = try NodeID(
            publicKeyBytes: try NoiseTestSupport.hex("31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62"))
        XCTAssertEqual(vectorResponder.description, "hl-ghqdap-6wiggs-7daopc-4r6ixi-zlwq7p-simvw4-6r3h4s-bu64a3-r5ra3t")
    }

    func testParsingAcceptsCaseDashesSpacesAndPrefixVariants() throws {
        let expected = try NodeID(publicKeyBytes: Self.sequentialKey)
        let compact = expected.compactString
        for text in [
            Self.sequentialID, Self.sequentialID.uppercased(), compact, compact.uppercased(), "hl" + compact,
            "  \(Self.sequentialID)\n", "HL-AAAQ EAYE AUDA OCAJ BIFQ YDIO B4IB CEQT CQKR MFYY DENB WHA5 DYPQ BM",
        ] {
            XCTAssertEqual(try NodeID(parsing: text), expected, text)
        }
    }

    func testRoundTripOfRandomKeys() throws {
        for _ in 0..<200 {
            let key = Curve25519.KeyAgreement.PrivateKey().publicKey
            let id = NodeID(publicKey: key)
            XCTAssertEqual(id.description.count, 3 + 54 + 8)
            XCTAssertEqual(try NodeID(parsing: id.description), id)
            XCTAssertEqual(try NodeID(parsing: id.compactString), id)
            XCTAssertEqual(id.publicKey, Array(key.rawRepresentation))
        }
    }

    func testEverySingleWrongCharacterIsDetected() throws {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        for key in [Self.sequentialKey, Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)] {
            let compact = Array(try NodeID(publicKeyBytes: key).compactString)
            var checked = 0
            for position in compact.indices {
                for replacement in alphabet where replacement != compact[position] {
                    var typo = compact
                    typo[position] = replacement
                    XCTAssertThrowsError(try NodeID(parsing: String(typo)), "position \(position + 1) -> \(replacement)") {
                        XCTAssertEqual($0 as? NodeIDError, .checksumMismatch(String(typo)))
                    }
                    checked += 1
                }
            }
            XCTAssertEqual(checked, 54 * 31)
        }
    }

    /// Swapping two neighbours is always caught by the Luhn character unless the pair is `a`/`7` (values 0
    /// and 31); those few are left to the SHA-256 character. Seeded keys, so the run is repeatable.
    func testSwappedNeighboursAreDetected() throws {
        var generator = SeededGenerator(seed: 5)
        var swaps = 0
        for _ in 0..<200 {
            let compact = Array(
                try NodeID(publicKeyBytes: NoiseTestSupport.randomBytes(32, using: &generator)).compactString)
            for position in 0..<(compact.count - 1) where compact[position] != compact[position + 1] {
                guard Set([compact[position], compact[position + 1]]) != ["a", "7"] else { continue }
                var typo = compact
                typo.swapAt(position, position + 1)
                swaps += 1
                XCTAssertThrowsError(try NodeID(parsing: String(typo)), "swap at \(position + 1) in \(String(compact))")
            }
        }
        XCTAssertGreaterThan(swaps, 10_000)
    }

    func testErrorsNameTheProblem() {
        let cases: [(String, NodeIDError, String)] = [
            ("", .empty, "empty node ID (expected hl- and 54 characters, as `hopline id` prints)"),
            ("hl-abc", .wrongLength("hl-abc", count: 3),
             "node ID 'hl-abc' has 3 characters besides 'hl-' and dashes (expected 54)"),
            (String(Self.sequentialID.dropLast()), .wrongLength(String(Self.sequentialID.dropLast()), count: 53),
             "node ID '\(Self.sequentialID.dropLast())' has 53 characters besides 'hl-' and dashes (expected 54)"),
        ]
        for (text, error, message) in cases {
            XCTAssertThrowsError(try NodeID(parsing: text), text) {
                XCTAssertEqual($0 as? NodeIDError, error)
                XCTAssertEqual("\($0)", message)
            }
        }
        let withZero = Self.sequentialID.replacingOccurrences(of: "ocajbi", with: "0cajbi")
        XCTAssertThrowsError(try NodeID(parsing: withZero)) {
            XCTAssertEqual($0 as? NodeIDError, .invalidCharacter(withZero, character: "0", position: 13))
            XCTAssertEqual("\($0)", "node ID '\(withZero)' has '0' at position 13 (expected a-z or 2-7; did you mean 'o'?)")
        }
        XCTAssertThrowsError(try NodeID(parsing: Self.sequentialID.replacingOccurrences(of: "dypqbm", with: "dypqbn"))) {
            XCTAssertTrue("\($0)".contains("has a typo: its checksum does not match"), "\($0)")
        }
        XCTAssertThrowsError(try NodeID(publicKeyBytes: [1, 2, 3])) {
            XCTAssertEqual("\($0)", "a node ID key is 32 bytes, not 3")
        }
    }

    func testNonASCIIAndRandomTextIsRejectedWithoutCrashing() {
        let withAccent = Self.sequentialID.replacingOccurrences(of: "ocajbi", with: "océjbi")
        XCTAssertThrowsError(try NodeID(parsing: withAccent)) {
            XCTAssertEqual($0 as? NodeIDError, .invalidCharacter(withAccent, character: "é", position: 15))
        }
        var generator = SeededGenerator(seed: 9)
        let pool = Array("abcxyz234567-hl 0189AQ\u{e9}\u{1F600}\n\t")
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...70, using: &generator)
            let text = String((0..<length).map { _ in pool.randomElement(using: &generator)! })
            XCTAssertThrowsError(try NodeID(parsing: text), text)
        }
    }

    func testNonCanonicalLastKeyCharacterIsRejected() throws {
        // Character 52 carries 1 key bit and 4 zero bits: only 'a' or 'q' are canonical.
        let compact = Array(try NodeID(publicKeyBytes: Self.sequentialKey).compactString)
        XCTAssertTrue(["a", "q"].contains(compact[51]))
        var bent = compact
        bent[51] = compact[51] == "a" ? "b" : "r"
        XCTAssertThrowsError(try NodeID(parsing: String(bent)))
    }
}
