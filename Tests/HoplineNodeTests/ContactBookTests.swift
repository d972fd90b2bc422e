import Foundation
import HoplineNet
import HoplineNode
import XCTest

/// contacts.toml: parsing, lookups, the default path, and an error naming the contact for each problem.
final class ContactBookTests: XCTestCase {
    static let alice = "hl-aaaqea-yeauda-ocajbi-fqydio-b4ibce-qtcqkr-mfyyde-nbwha5-dypqbm"
    static let bob = "hl-ghqdap-6wiggs-7daopc-4r6ixi-zlwq7p-simvw4-6r3h4s-bu64a3-r5ra3t"

    func testParsesContactsWithAndWithoutAddresses() throws {
        let book = try ContactBook.parse(
            """
            # friends
            [contacts.bob]
            id = "\(Self.bob.uppercased())"

            [contacts.alice]
            id = "\(Self.alice)"
            address = "127.0.0.1:5004"

            [contacts."Grandma Jo"]
            id = "\(Self.bob)"
            address = "[::1]:6000"
            """, path: "contacts.toml")
        XCTAssertEqual(book.contacts.map(\.name), ["Grandma Jo", "alice", "bob"])
        let alice = try XCTUnwrap(book.contact(named: "alice"))
        XCTAssertEqual(alice.nodeID, try NodeID(parsing: Self.alice))
        XCTAssertEqual(alice.address?.description, "127.0.0.1:5004")
        XCTAssertNil(book.contact(named: "bob")?.address)
        XCTAssertEqual(book.contact(named: "Grandma Jo")?.address?.description, "[::1]:6000")
        XCTAssertNil(book.contact(named: "Alice"), "names match exactly")
        XCTAssertEqual(book.contact(for: try NodeID(parsing: Self.bob))?.name, "Grandma Jo", "first by name")
        XCTAssertEqual(try ContactBook.parse("", path: "empty.toml"), ContactBook())
    }

    func testErrorsNameTheFileAndTheContact() {
        let cases: [(String, String)] = [
            ("[contacts.carol]\nid = \"hl-abc\"\n",
             "c.toml: contact 'carol': invalid id: node ID 'hl-abc' has 3 characters besides 'hl-' and dashes (expected 54)"),
            ("[contacts.carol]\nid = \"\(Self.alice.dropLast())n\"\n",
             "c.toml: contact 'carol': invalid id: node ID '\(Self.alice.dropLast())n' has a typo: its checksum does not match (check each character against the original)"),
            ("[contacts.carol]\naddress = \"127.0.0.1:5004\"\n",
             "c.toml: contact 'carol': missing id = \"hl-...\" (the node ID `hopline id` prints)"),
            ("[contacts.carol]\nid = \"\(Self.alice)\"\nport = 5\n",
             "c.toml: contact 'carol': unknown key 'port' (expected id and optional address)"),
            ("[contacts.carol]\nid = \"\(Self.alice)\"\naddress = \"example.org:5004\"\n",
             "c.toml: contact 'carol': invalid address 'example.org:5004': 'example.org' is not a numeric IPv4 or IPv6 address"),
            ("[contacts.carol]\nid = \"\(Self.alice)\"\naddress = 5004\n",
             "c.toml: contact 'carol': address must be a string \"HOST:PORT\""),
            ("[contacts]\ncarol = \"\(Self.alice)\"\n",
             "c.toml: contact 'carol': must be a table [contacts.carol] with id = \"hl-...\""),
            ("contacts = 3\n", "c.toml: 'contacts' must be a table of [contacts.NAME] tables"),
            ("[friends.carol]\nid = \"\(Self.alice)\"\n", "c.toml: unknown key 'friends' (expected [contacts.NAME] tables)"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ContactBook.parse(text, path: "c.toml"), text) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
        XCTAssertThrowsError(try ContactBook.parse("[contacts.carol\nid = 1", path: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml:1: TOML syntax error: "), "\(error)")
        }
    }

    func testLoadsTheDefaultFileIfPresent() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["XDG_CONFIG_HOME": directory.path]
        XCTAssertEqual(ContactBook.defaultPath(environment: environment), directory.path + "/hopline/contacts.toml")
        XCTAssertEqual(ContactBook.defaultPath(environment: ["HOME": "/h"]), "/h/.config/hopline/contacts.toml")
        XCTAssertEqual(try ContactBook.load(explicitPath: nil, environment: environment), ContactBook(), "no file: empty")
        try FileManager.default.createDirectory(
            atPath: directory.path + "/hopline", withIntermediateDirectories: true)
        try "[contacts.alice]\nid = \"\(Self.alice)\"\n".write(
            toFile: directory.path + "/hopline/contacts.toml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ContactBook.load(explicitPath: nil, environment: environment).contacts.map(\.name), ["alice"])
        let missing = directory.path + "/nope.toml"
        XCTAssertThrowsError(try ContactBook.load(explicitPath: missing, environment: environment)) { error in
            XCTAssertEqual("\(error)", "cannot read contacts \(missing): no such file")
        }
    }

    /// Regression (make fuzz, issue 11): these aborted the process inside toml++ instead of failing; the second is
    /// the fuzzer's input (a '}' where the array expects a value).
    func testShapesThatCrashedTheTOMLParserAreSyntaxErrors() {
        let cases: [(String, String)] = [
            ("[contacts]\n[\u{E9}]\n",
             "c.toml:2: TOML syntax error: a table header must start with a key (a letter, digit, '_', '-' or a quote), not U+E9"),
            ("# r#5frien\u{FFFD}e]\nid = \"hl-g7\"\n\n[contacts.alice]\nidid =[}\"hle-oree6010# c\"\n",
             "c.toml:5: TOML syntax error: expected a value or ']' in the array, not '}'"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ContactBook.parse(text, path: "c.toml"), text) { error in XCTAssertEqual("\(error)", expected) }
        }
    }
}
