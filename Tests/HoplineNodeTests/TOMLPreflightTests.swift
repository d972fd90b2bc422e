@testable import HoplineNode
import XCTest

/// `TOMLPreflight` refuses only the shapes that crash toml++ (issue 11, make fuzz), and leaves valid TOML,
/// brackets inside values, strings and comments alone.
final class TOMLPreflightTests: XCTestCase {
    func testValidTOMLWithBracketsInValuesStringsAndCommentsPasses() {
        let valid = [
            "",
            "[codec]\nbitrate = 24000 # [ not a header\n",
            "a = [\n  [ +1 ],\n  [ { x = 1 } ],\n  [\n    0.5,\n  ],\n]\n[ok]\n",
            "s = \"\"\"\n[ inside a string\n\"\"\"\n[after]\n",
            "l = '''\n[#'''\n[after]\n",
            "c = \"\"\"a\\\n[=\"\"\"\n",
            "q = \"\"\"x\"\"\"\"\"\n[t]\n",
            "\u{FEFF}[ \"quoted key\" ]\n[[array]]\n[ a . b ]\n['lit']\n[-x]\n[_y]\n[9]\n",
            "b = \"[\"\n",
            "e = []\nf = [ {}, { a = [1, 2] } ]\ng = [ # }\n  1, # ,}\n]\nh = { i = [] }\nj = [\"}\", '}']\n",
        ]
        for text in valid { XCTAssertNil(TOMLPreflight.problem(in: text), text) }
    }

    func testCrashingShapesAreFoundWithTheirLineAndColumn() {
        let cases: [(String, Int, Int)] = [
            ("[\n", 1, 1), ("a = 1\n\n\t[é]\n", 3, 2), ("s = \"\"\"\n\n\"\"\"\n[.x]\n", 4, 1), ("[[ =]]\n", 1, 1),
            ("a = [1,\n 2]\n[#]\n", 3, 1), ("[\r\n", 1, 1),
            // A '}' where an array expects a value (parser::parse_value).
            ("a = [}\n", 1, 6), ("a = [1, }]\n", 1, 9), ("a = [\n # c\n  }\n", 3, 3), ("a = { b = [ } }\n", 1, 13),
            ("a = [[}]]\n", 1, 7),
        ]
        for (text, line, column) in cases {
            let problem = TOMLPreflight.problem(in: text)
            XCTAssertEqual(problem?.line, line, text)
            XCTAssertEqual(problem?.column, column, text)
        }
    }
}
