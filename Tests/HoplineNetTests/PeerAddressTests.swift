import HoplineNet
import XCTest

final class PeerAddressTests: XCTestCase {
    func testParsesIPv4AndIPv6() throws {
        XCTAssertEqual(try PeerAddress(parsing: "127.0.0.1:5004").description, "127.0.0.1:5004")
        XCTAssertEqual(try PeerAddress(parsing: "[::1]:5004").description, "[::1]:5004")
        XCTAssertEqual(try PeerAddress(parsing: "10.200.0.2:0").port, 0)
    }

    func testRejectsMalformedAddressesWithAReason() {
        let cases = [
            ("localhost", "expected HOST:PORT"),
            ("127.0.0.1:70000", "port '70000' is not a number from 0 to 65535"),
            ("127.0.0.1:x", "port 'x'"),
            ("example.org:5004", "'example.org' is not a numeric IPv4 or IPv6 address"),
            ("::1:5004", "write IPv6 addresses as [ADDRESS]:PORT"),
            ("[::1]5004", "expected [IPv6]:PORT"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try PeerAddress(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(text): \(error)")
            }
        }
    }
}
