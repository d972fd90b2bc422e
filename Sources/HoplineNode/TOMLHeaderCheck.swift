/// Finds the one malformed TOML shape that crashes the TOML parser instead of failing: a table header whose key
/// starts with a character that can start no key (`[` alone on a line, `[é]`, `[.a]`, `[ #]`, `[[=]]`). toml++ 3.4
/// (inside TOMLKit 0.6) asserts in `parser::parse_key` there, which aborts the process (and is undefined
/// behaviour where assertions are compiled out). Found by `make fuzz` (issue 11); every TOML text goes through
/// `problem(in:)` before `TOMLTable(string:)`, and other malformed text is still left to TOMLKit's own errors.
///
/// A header is recognised as toml++ does: a `[` first on a line (after spaces or tabs), outside any multi-line
/// string or array value; strings and comments are skipped so that brackets inside them do not count.
enum TOMLHeaderCheck {
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
        var arrayDepth = 0
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
            if atLineStart && arrayDepth == 0 && scalar == "[" {
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
            case "[":
                arrayDepth += 1
                index += 1
            case "]":
                arrayDepth = max(0, arrayDepth - 1)
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }
}
