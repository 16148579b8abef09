import Foundation
import TensorIO

/// Results whose tables have names in them (layers, units of two models): a `.csv` gets the
/// labelled table as text, the tensor formats get the numbers through `OutputFile`.
enum LabelledOutput {
    static func write(
        csvHeader: [String], csvRows: [[String]], main: (name: String, tensor: Tensor),
        extras: [(String, Tensor)] = [], metadata: [String: String] = [:], to path: String
    ) throws {
        if URL(fileURLWithPath: path).pathExtension.lowercased() == "csv" {
            try CSVTable.write(header: csvHeader, rows: csvRows, to: URL(fileURLWithPath: path))
        } else {
            try OutputFile.write(main: main, extras: extras, metadata: metadata, to: path)
        }
    }

    /// A comma-separated list option ("fc1,relu1") as names.
    static func names(_ list: String?) -> [String]? {
        list.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// A figure for a table cell.
    static func cell(_ value: Double, digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }
}
