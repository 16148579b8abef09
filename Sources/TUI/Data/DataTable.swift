import Foundation
import TensorIO

/// The numbers behind a table or plot: named columns and rows of values. Tables display it,
/// `e` exports it as CSV with full precision.
public struct DataTable: Equatable, Sendable {
    public enum Value: Equatable, Sendable {
        case text(String)
        case integer(Int)
        case number(Double)
        case missing

        /// For sorting: numbers by value, text alphabetically, missing last.
        public var number: Double? {
            switch self {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            case .text, .missing: return nil
            }
        }

        /// Full precision, as CSV holds it.
        public var csvField: String {
            switch self {
            case .text(let s): return DataTable.quote(s)
            case .integer(let i): return String(i)
            case .number(let d): return d.isFinite ? "\(d)" : (d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
            case .missing: return ""
            }
        }
    }

    /// How a column shows its numbers on screen (CSV always has every digit).
    public enum Format: Equatable, Sendable {
        case general
        case fixed(Int)
        case percent(Int)
    }

    public struct Column: Equatable, Sendable {
        public var name: String
        public var format: Format
        public init(_ name: String, _ format: Format = .general) {
            self.name = name
            self.format = format
        }

        public func display(_ value: Value) -> String {
            switch value {
            case .text(let s): return s
            case .integer(let i): return String(i)
            case .missing: return ""
            case .number(let d):
                switch format {
                case .general: return NumberText.short(d)
                case .fixed(let digits): return String(format: "%.\(digits)f", d)
                case .percent(let digits): return String(format: "%.\(digits)f %%", 100 * d)
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

    public var header: [String] { columns.map(\.name) }

    /// CSV with a header row (RFC 4180 quoting).
    public var csv: String {
        var lines = [header.map(DataTable.quote).joined(separator: ",")]
        for row in rows { lines.append(row.map(\.csvField).joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the CSV; never over an existing file (an export must not destroy one).
    public func writeCSV(to url: URL) throws {
        try AtomicFile.write(Data(csv.utf8), to: url, replacing: false)
    }

    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Short number text for screens: four significant digits, exponent only when needed.
public enum NumberText {
    /// A sample's place in the data, counted from 0 as the command line and every CSV count
    /// it, with the range so that nobody reads it as counted from 1: "12 of 0…448".
    public static func sample(_ index: Int, of count: Int) -> String { "\(index) of 0…\(count - 1)" }

    /// A fraction as a percentage: 0.9688 → "96.9 %" (one decimal by default).
    public static func percent(_ fraction: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f %%", 100 * fraction) }

    public static func short(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.2e", v) }
        if v == v.rounded(), a < 1e5 { return String(Int(v)) }
        let s = String(format: "%.4g", v)
        return s
    }

    /// An axis label: as few characters as keep neighbouring ticks apart.
    public static func tick(_ v: Double) -> String {
        guard v.isFinite else { return short(v) }
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e4 || a < 1e-2 { return String(format: "%.1e", v) }
        return String(format: "%.3g", v)
    }

    /// 85002 → "85,002".
    public static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}
