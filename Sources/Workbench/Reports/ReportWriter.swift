import Figures
import Foundation
import TensorIO

/// Writes a report directory: report.md, report.json, one CSV per table and per plot, one SVG
/// per plot. It writes into a temporary sibling directory and renames it into place only when
/// everything is written, so a failed run never leaves a report that looks complete.
///
/// A report directory is Loupe's own: the writer only ever replaces an empty directory or an
/// earlier report (a report.json beside nothing but the files a report holds), never a directory
/// holding anything else, which may be the user's.
public enum ReportWriter {
    /// Checks `directory` as the destination of a report before a probe runs: new, empty, or an
    /// earlier report (replaced only with `force`); never a file, another directory, or one that
    /// holds one of the probe's `inputs`.
    public static func checkDestination(_ directory: URL, inputs: [OutputCheck.Input], force: Bool) throws {
        let path = directory.path
        try OutputCheck.checkParent(of: directory, option: "--out")
        switch PathKind(path) {
        case .missing: return
        case .regularFile, .special:
            throw WorkbenchError("\(path) is a file; a report is written to a directory (a new one, or an earlier report)")
        case .directory: break
        }
        if let input = OutputCheck.inputInside(directory, inputs) {
            throw WorkbenchError(
                "\(path) holds \(input.url.lastPathComponent) (\(input.role)), which this probe reads; write the report elsewhere")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if entries.isEmpty { return }
        if let foreign = foreignEntries(in: directory) {
            let shown = foreign.sorted().prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
            throw WorkbenchError(
                "\(path) is not an earlier Loupe report (it holds \(shown)); nothing was written: choose a new or empty directory")
        }
        guard force else { throw WorkbenchError("\(path) holds an earlier report; pass --force to replace it, or choose another --out") }
    }

    /// The entries of `directory` that a report does not hold, or nil when it is an earlier
    /// report (a readable report.json and only the files a report writes).
    static func foreignEntries(in directory: URL) -> [String]? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let foreign = entries.filter { !isReportFile($0) }
        let json = try? Data(contentsOf: directory.appendingPathComponent("report.json"))
        let isReport = json.map { (try? JSONDecoder().decode(Report.self, from: $0)) != nil } ?? false
        if foreign.isEmpty && isReport { return nil }
        return foreign.isEmpty ? ["no readable report.json"] : foreign
    }

    /// Whether a report writes files of this name: report.md, report.json, runN-NAME.csv / .svg.
    static func isReportFile(_ name: String) -> Bool {
        if name == "report.md" || name == "report.json" { return true }
        guard name.hasPrefix("run"), name.hasSuffix(".csv") || name.hasSuffix(".svg") else { return false }
        let digits = name.dropFirst(3).prefix { $0.isNumber }
        return !digits.isEmpty && name.dropFirst(3 + digits.count).hasPrefix("-")
    }

    /// Writes a whole report (see `ReportStaging` for one written section by section).
    public static func write(_ report: Report, to directory: URL, generatedAt date: Date = Date()) throws {
        let staging = try ReportStaging(for: directory)
        for (i, section) in report.sections.enumerated() { try staging.write(section, index: i) }
        try staging.finish(report, generatedAt: date)
    }

    /// File stems of a section's tables and plots, unique across the report: "run2-layers".
    static func stem(section index: Int, _ name: String) -> String { "run\(index + 1)-\(name)" }

    /// A section's tables and plots: one CSV each, and an SVG per plot.
    static func writeFiles(of section: ReportSection, index i: Int, into dir: URL) throws {
        for table in section.tables {
            try CSVTable.write(
                header: table.columns, rows: table.rows.map { $0.map(\.exact) },
                to: dir.appendingPathComponent(stem(section: i, table.name) + ".csv"))
        }
        for plot in section.plots {
            let (header, rows) = csv(of: plot)
            try CSVTable.write(header: header, rows: rows, to: dir.appendingPathComponent(stem(section: i, plot.name) + ".csv"))
            try AtomicFile.write(Data(PlotSVG.render(plot).utf8), to: dir.appendingPathComponent(stem(section: i, plot.name) + ".svg"))
        }
    }

    static func json(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(report) + Data("\n".utf8)
    }

    /// The numbers behind a plot, as a CSV header and rows.
    static func csv(of plot: ReportPlot) -> ([String], [[String]]) {
        switch plot.content {
        case .lines(let p):
            return (
                ["series", p.xLabel.isEmpty ? "x" : p.xLabel, p.yLabel.isEmpty ? "y" : p.yLabel],
                p.series.flatMap { s in zip(s.x, s.y).map { [s.name, NumberFormat.exact($0), NumberFormat.exact($1)] } }
            )
        case .heatmap(let h):
            return (
                [""] + h.columnLabels,
                h.values.enumerated().map { r, row in [r < h.rowLabels.count ? h.rowLabels[r] : "\(r)"] + row.map(NumberFormat.exact) }
            )
        case .bars(let b):
            return (["label", b.valueLabel], zip(b.labels, b.values).map { [$0, NumberFormat.exact($1)] })
        }
    }
}
