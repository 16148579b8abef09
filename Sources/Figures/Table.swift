import Foundation

/// A table of numbers and names: what the workbench's tables show, what `e` and reports write as
/// CSV, what the command line prints. One model, drawn by each front end in its own way.
public struct Table: Equatable, Sendable {
    /// A cell.
    public enum Value: Equatable, Sendable {
        case text(String)
        case integer(Int)
        case number(Double)
        case missing

        /// For sorting and plotting: numbers by value; nil for text and missing.
        public var number: Double? {
            switch self {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            case .text, .missing: return nil
            }
        }

        /// Full precision, as CSV and JSON hold it (`NumberFormat.exact`).
        public var exact: String {
            switch self {
            case .text(let s): return s
            case .integer(let i): return String(i)
            case .number(let d): return NumberFormat.exact(d)
            case .missing: return ""
            }
        }
    }

    /// How a column shows its numbers for reading (CSV always has every digit).
    public enum Format: Equatable, Sendable {
        case general
        case fixed(Int)
        case percent(Int)
    }

    public struct Column: Equatable, Sendable {
        public var name: String
        public var format: Format
        /// Right-aligned in text even when its cells are written out already (a "12.5 %").
        public var alignRight: Bool
        public init(_ name: String, _ format: Format = .general, alignRight: Bool = false) {
            self.name = name
            self.format = format
            self.alignRight = alignRight
        }

        public func display(_ value: Value) -> String {
            switch value {
            case .text(let s): return s
            case .integer(let i): return String(i)
            case .missing: return ""
            case .number(let d):
                switch format {
                case .general: return NumberFormat.readable(d)
                case .fixed(let digits): return d.isFinite ? String(format: "%.\(digits)f", d) : NumberFormat.readable(d)
                case .percent(let digits): return NumberFormat.percent(d, digits: digits)
                }
            }
        }
    }

    public var columns: [Column]
    public var rows: [[Value]]

    public init(columns: [Column], rows: [[Value]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// A table of plain columns named `names`; those at `rightAligned` are right-aligned in text.
    public init(_ names: [String], rightAligned: Set<Int> = [], rows: [[Value]] = []) {
        self.init(columns: names.enumerated().map { Column($1, alignRight: rightAligned.contains($0)) }, rows: rows)
    }

    /// Adds a row of texts (numbers written already, as the caller wants them read).
    public mutating func append(_ texts: [String]) { rows.append(texts.map(Value.text)) }

    public var header: [String] { columns.map(\.name) }

    /// CSV with a header row, every number exact, cells quoted as RFC 4180 asks.
    public var csv: String {
        var lines = [header.map(Table.quote).joined(separator: ",")]
        for row in rows { lines.append(row.map { Table.quote($0.exact) }.joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// For a terminal: the header, a rule, the rows; numbers right-aligned as each column
    /// formats them.
    public var text: String {
        let cells = [header] + rows.map { row in row.enumerated().map { c, v in c < columns.count ? columns[c].display(v) : v.exact } }
        let widths = header.indices.map { c in cells.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        let numeric = header.indices.map { c in columns[c].alignRight || rows.contains { $0.indices.contains(c) && $0[c].number != nil } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
                return numeric[c] ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + cells.dropFirst().map(line)).map {
            $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        .joined(separator: "\n")
    }

    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension Table.Value {
    /// Cells are equal when they hold the same thing: an integer and a number of the same value
    /// are (JSON does not tell them apart).
    public static func == (a: Table.Value, b: Table.Value) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)): return x == y
        case (.missing, .missing): return true
        default:
            guard let x = a.number, let y = b.number else { return false }
            return x == y || (x.isNaN && y.isNaN)
        }
    }
}

extension Table.Value: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
}

/// In JSON a cell is a number, a string, or null (missing): what report.json and `--json` hold.
extension Table.Value: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .missing
        } else if let i = try? c.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else {
            self = .text(try c.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let s): try c.encode(s)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .missing: try c.encodeNil()
        }
    }
}
