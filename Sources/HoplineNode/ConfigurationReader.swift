import TOMLKit

/// Typed, checked access to a parsed TOML document: each key is read once by name, and whatever was not
/// read is reported as unknown, so a misspelt key is an error instead of a silently ignored setting.
struct ConfigurationReader {
    let table: TOMLTable
    let path: String

    init(text: String, path: String) throws(ConfigurationError) {
        if let problem = TOMLPreflight.problem(in: text) {
            throw .syntax(path: path, line: problem.line, column: problem.column, reason: problem.reason)
        }
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(
                path: path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        } catch {
            throw .syntax(path: path, line: 0, column: 0, reason: "\(error)")
        }
        self.path = path
    }

    /// Runs `body` on the `[name]` table if present; afterwards, any key in it that `body` did not read is an error.
    func section(_ name: String, _ body: (inout Section) throws(ConfigurationError) -> Void) throws(ConfigurationError) {
        guard let value = table[name] else { return }
        guard let sectionTable = value.table else { throw .wrongType(path: path, key: name, expected: "a table [\(name)]") }
        var section = Section(table: sectionTable, name: name, path: path)
        try body(&section)
        for key in sectionTable.keys where !section.readKeys.contains(key) {
            throw .unknownKey(path: path, key: "\(name).\(key)")
        }
    }

    func rejectUnknownSections(known: Set<String>) throws(ConfigurationError) {
        for key in table.keys where !known.contains(key) { throw .unknownKey(path: path, key: key) }
    }

    /// One `[section]` of the file.
    struct Section {
        let table: TOMLTable
        let name: String
        let path: String
        var readKeys: Set<String> = []

        mutating func int(_ key: String) throws(ConfigurationError) -> Int? {
            readKeys.insert(key)
            guard let value = table[key] else { return nil }
            guard let int = value.int else { throw .wrongType(path: path, key: "\(name).\(key)", expected: "an integer") }
            return int
        }

        mutating func double(_ key: String) throws(ConfigurationError) -> Double? {
            readKeys.insert(key)
            guard let value = table[key] else { return nil }
            if let int = value.int { return Double(int) }
            guard let double = value.double else { throw .wrongType(path: path, key: "\(name).\(key)", expected: "a number") }
            return double
        }

        mutating func string(_ key: String) throws(ConfigurationError) -> String? {
            readKeys.insert(key)
            guard let value = table[key] else { return nil }
            guard let string = value.string else { throw .wrongType(path: path, key: "\(name).\(key)", expected: "a string") }
            return string
        }

        /// An array whose every element is a string.
        mutating func stringArray(_ key: String) throws(ConfigurationError) -> [String]? {
            readKeys.insert(key)
            guard let value = table[key] else { return nil }
            guard let array = value.array else { throw .wrongType(path: path, key: "\(name).\(key)", expected: "an array of strings") }
            var strings: [String] = []
            for element in array {
                guard let string = element.string else {
                    throw .wrongType(path: path, key: "\(name).\(key)", expected: "an array of strings")
                }
                strings.append(string)
            }
            return strings
        }

        mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
            readKeys.insert(key)
            guard let value = table[key] else { return nil }
            guard let bool = value.bool else { throw .wrongType(path: path, key: "\(name).\(key)", expected: "true or false") }
            return bool
        }
    }
}
