/// Finds the malformed TOML shapes that crash the TOML parser instead of failing, found by `make fuzz` (issue 11).
/// toml++ 3.4 (inside TOMLKit 0.6) asserts on them, which aborts the process (and is undefined behaviour where
/// assertions are compiled out):
/// - a table header whose key starts with a character that can start no key (`[` alone on a line, `[é]`, `[.a]`,
///   `[ #]`, `[[=]]`): `parser::parse_key`;
/// - a `}` where an array expects its next element (`a = [}`, `a = [1, }`, `{ b = [ } }`): `parser::parse_value`.
/// Every TOML text goes through `problem(in:)` before `TOMLTable(string:)`; other malformed text is still left to
/// TOMLKit's own errors.
///
/// A header is recognised as toml++ does: a `[` first on a line (after spaces or tabs), outside any string and
/// any array or inline-table value; strings and comments are skipped so that brackets inside them do not count.
enum TOMLPreflight {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var reason: String
    }

    static func problem(in text: String) -> Problem? {
        let scalars = Array(text.unicodeScalars)
        var index = scalars.first == "\u{FEFF}" ? 1 : 0
        var line = 1
        var lineStart = index
        var containers: [Unicode.Scalar] = []  // the open `[` (array) and `{` (inline table) values
        var lastSignificant: Unicode.Scalar?  // outside strings, comments and whitespace
        var atLineStart = true

        func peek(_ offset: Int = 0) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }
        func isKeyStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_-\"'".unicodeScalars.contains(scalar))
        }
        /// Skips a string that starts at `index` (at a quote); newlines inside multi-line strings are counted.
        func skipString() {
            let quote = scalars[index]
            let multiLine = peek(1) == quote && peek(2) == quote
            index += multiLine ? 3 : 1
            while let scalar = peek() {
                if scalar == "\\" && quote == "\"" {
                    if peek(1) == "\n" { line += 1; lineStart = index + 2 }
                    index += 2
                    continue
                }
                if scalar == "\n" {
                    guard multiLine else { return }  // an unterminated string: toml++ reports it
                    line += 1
                    lineStart = index + 1
                } else if scalar == quote && (!multiLine || (peek(1) == quote && peek(2) == quote)) {
                    index += multiLine ? 3 : 1
                    while multiLine && peek() == quote { index += 1 }  // up to two quotes may close the content
                    return
                }
                index += 1
            }
        }

        while let scalar = peek() {
            if atLineStart && (scalar == " " || scalar == "\t") {
                index += 1
                continue
            }
            if atLineStart && containers.isEmpty && scalar == "[" {
                let column = index - lineStart + 1
                index += 1
                while peek() == " " || peek() == "\t" { index += 1 }
                if peek() == "[" {
                    index += 1
                    while peek() == " " || peek() == "\t" { index += 1 }
                }
                if let first = peek(), first != "]", first != "\n", !isKeyStart(first) {
                    let shown = first.isASCII && first.value >= 0x20 ? "'\(first)'" : "U+\(String(first.value, radix: 16, uppercase: true))"
                    return Problem(
                        line: line, column: column,
                        reason: "a table header must start with a key (a letter, digit, '_', '-' or a quote), not \(shown)")
                }
                if peek() == "\n" {
                    return Problem(line: line, column: column, reason: "unterminated table header '['")
                }
                while let next = peek(), next != "\n" { index += 1 }  // the rest of a header line holds no value
                continue
            }
            atLineStart = false
            if scalar != " " && scalar != "\t" && scalar != "\r" && scalar != "\n" && scalar != "#" {
                defer { lastSignificant = scalar }
                if scalar == "}" && containers.last == "[" && (lastSignificant == "[" || lastSignificant == ",") {
                    return Problem(
                        line: line, column: index - lineStart + 1, reason: "expected a value or ']' in the array, not '}'")
                }
            }
            switch scalar {
            case "\n":
                line += 1
                index += 1
                lineStart = index
                atLineStart = true
            case "#":
                while let next = peek(), next != "\n" { index += 1 }
            case "\"", "'":
                skipString()
            case "[", "{":
                containers.append(scalar)
                index += 1
            case "]", "}":
                if !containers.isEmpty { containers.removeLast() }
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }
}
