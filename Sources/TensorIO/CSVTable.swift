import CSV
import Foundation
import LinAlg

/// A table of numbers from a CSV file, with an optional header row.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]?
    public var values: Matrix<Double>

    public init(header: [String]?, values: Matrix<Double>) {
        self.header = header
        self.values = values
    }

    /// The values of the first column called `named`, or nil if there is no such column.
    public func column(named: String) -> [Double]? {
        guard let j = header?.firstIndex(of: named) else { return nil }
        return values.column(j)
    }

    /// Reads a CSV file of numbers (RFC 4180 quoting; "," separated; LF or CRLF line ends).
    ///
    /// - `hasHeader`: nil detects it: a first row in which some cell is not a number is a header.
    /// - Cells are trimmed of spaces. `nan`, `NaN`, `inf`, `-inf` (any case) are numbers, and an
    ///   empty cell is NaN (as pandas writes missing values). Blank lines are skipped.
    /// - Every row must have as many cells as the first; errors name the line and column.
    public static func read(_ url: URL, hasHeader: Bool? = nil) throws -> CSVTable {
        try parse(text(of: url), source: url.path, hasHeader: hasHeader)
    }

    /// Every row of a CSV file as text cells, the header row included (for tables that mix
    /// names and numbers, like a report's).
    public static func readCells(_ url: URL) throws -> [[String]] {
        let reader: CSVReader
        do { reader = try CSVReader(string: try text(of: url), hasHeaderRow: false) } catch let error as TensorIOError {
            throw error
        } catch {
            throw TensorIOError(file: url.path, message: "cannot parse as CSV: \(error)")
        }
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw TensorIOError(file: url.path, message: "cannot read as CSV: \(error)") }
        return rows
    }

    /// The file as UTF-8 text without a byte-order mark.
    private static func text(of url: URL) throws -> String {
        try InputCheck.readableFile(url)
        // Parsing holds the text and the numbers: a few times the file's size.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        try MemoryBudget.check(MemoryBudget.product(size, 4), for: "\(url.path): reading this CSV file")
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TensorIOError(file: url.path, message: "cannot read: \((error as NSError).localizedDescription)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw TensorIOError(file: url.path, message: "not valid UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// Parses CSV text; `source` names it in errors.
    public static func parse(_ text: String, source: String, hasHeader: Bool? = nil) throws -> CSVTable {
        func fail(_ message: String) -> TensorIOError { TensorIOError(file: source, message: message) }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            throw fail("cannot parse as CSV: \(error)")
        }
        var line = 1
        var header: [String]?
        var columns: Int?
        var firstDataLine = 0
        var storage: [Double] = []
        var rows = 0
        while let row = reader.next() {
            let rowLine = line
            line += 1 + row.reduce(0) { $0 + $1.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
            if row.count == 1 && row[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if columns == nil {
                columns = row.count
                let numeric = row.map(parseNumber)
                let isHeader = hasHeader ?? numeric.contains { $0 == nil }
                if isHeader {
                    header = row.map { $0.trimmingCharacters(in: .whitespaces) }
                    firstDataLine = 0
                    continue
                }
            }
            guard row.count == columns! else {
                let reference = firstDataLine > 0 ? "line \(firstDataLine)" : (header != nil ? "the header" : "line 1")
                throw fail("line \(rowLine): expected \(columns!) columns (as in \(reference)), found \(row.count)")
            }
            if firstDataLine == 0 { firstDataLine = rowLine }
            for (j, cell) in row.enumerated() {
                guard let v = parseNumber(cell) else {
                    let name = header.map { " ('\($0[j])')" } ?? ""
                    throw fail("line \(rowLine), column \(j + 1)\(name): cannot parse \(jsonString(cell)) as a number")
                }
                storage.append(v)
            }
            rows += 1
        }
        if let error = reader.error { throw fail("cannot read as CSV: \(error)") }
        return CSVTable(header: header, values: Matrix(rows: rows, cols: rows == 0 ? (header?.count ?? 0) : columns!, storage: storage))
    }

    static func parseNumber(_ cell: String) -> Double? {
        let t = cell.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return .nan }
        return Double(t)
    }

    /// Writes a table of numbers with an optional header, atomically. Numbers use Swift's
    /// shortest round-tripping form ("0.1", "1e-05", "nan", "inf"); lines end in "\n".
    public static func write(header: [String]?, rows: Matrix<Double>, to url: URL) throws {
        if let header, header.count != rows.cols {
            throw TensorIOError(file: url.path, message: "header has \(header.count) names for \(rows.cols) columns")
        }
        var out = ""
        if let header { out += header.map(quoteCSV).joined(separator: ",") + "\n" }
        for r in 0..<rows.rows {
            out += rows.row(r).map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(out.utf8), to: url)
    }

    /// Writes this table (see `write(header:rows:to:)`).
    public func write(to url: URL) throws {
        try CSVTable.write(header: header, rows: values, to: url)
    }

    /// Writes a table of text cells under a header, quoting per RFC 4180 (a cell with a comma,
    /// a double quote, CR or LF is quoted, and its quotes are doubled), atomically.
    public static func write(header: [String], rows: [[String]], to url: URL) throws {
        var out = header.map(quoteCSV).joined(separator: ",") + "\n"
        for (i, row) in rows.enumerated() {
            guard row.count == header.count else {
                throw TensorIOError(file: url.path, message: "row \(i) has \(row.count) cells for \(header.count) header names")
            }
            out += row.map(quoteCSV).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(out.utf8), to: url)
    }
}

/// A CSV cell, quoted if RFC 4180 requires it.
func quoteCSV(_ cell: String) -> String {
    guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return cell }
    return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
