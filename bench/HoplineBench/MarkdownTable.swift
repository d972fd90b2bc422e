/// A Markdown table with padded columns, readable as plain text in a terminal too.
struct MarkdownTable {
    enum Alignment { case left, right }

    var columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    init(_ columns: [(title: String, alignment: Alignment)]) { self.columns = columns }

    mutating func add(_ cells: String...) {
        precondition(cells.count == columns.count, "a row has one cell per column")
        rows.append(cells)
    }

    var text: String {
        let widths = columns.indices.map { column in
            ([columns[column].title] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func pad(_ cell: String, _ column: Int) -> String {
            let fill = String(repeating: " ", count: widths[column] - cell.count)
            return columns[column].alignment == .left ? cell + fill : fill + cell
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.indices.map { pad(cells[$0], $0) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + columns.indices.map { column in
            let dashes = String(repeating: "-", count: widths[column])
            return columns[column].alignment == .left ? "-" + dashes + "-" : "-" + dashes + ":"
        }.joined(separator: "|") + "|"
        return ([line(columns.map(\.title)), rule] + rows.map(line)).joined(separator: "\n")
    }
}
