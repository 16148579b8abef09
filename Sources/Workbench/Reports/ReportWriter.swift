import Foundation
import TensorIO

/// Writes a report directory: report.md, report.json, one CSV per table and per plot, one SVG
/// per plot. It writes into a temporary sibling directory and renames it into place only when
/// everything is written, so a failed run never leaves a report that looks complete.
public enum ReportWriter {
    public static func write(_ report: Report, to directory: URL, generatedAt date: Date = Date()) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            try writeFiles(report, into: staging, generatedAt: date)
            // Swap the finished directory in; the previous report (if any) goes only afterwards.
            var previous: URL?
            if fm.fileExists(atPath: directory.path) {
                let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
                try? fm.removeItem(at: old)
                try fm.moveItem(at: directory, to: old)
                previous = old
            }
            try fm.moveItem(at: staging, to: directory)
            if let previous { try? fm.removeItem(at: previous) }
        } catch {
            try? fm.removeItem(at: staging)
            throw WorkbenchError("cannot write the report to \(directory.path): \(error)")
        }
    }

    /// File stems of a section's tables and plots, unique across the report: "run2-layers".
    static func stem(section index: Int, _ name: String) -> String { "run\(index + 1)-\(name)" }

    private static func writeFiles(_ report: Report, into dir: URL, generatedAt date: Date) throws {
        for (i, section) in report.sections.enumerated() {
            for table in section.tables {
                try CSVTable.write(header: table.columns, rows: table.rows.map { $0.map(csvCell) },
                                   to: dir.appendingPathComponent(stem(section: i, table.name) + ".csv"))
            }
            for plot in section.plots {
                let (header, rows) = csv(of: plot)
                try CSVTable.write(header: header, rows: rows, to: dir.appendingPathComponent(stem(section: i, plot.name) + ".csv"))
                try AtomicFile.write(Data(PlotSVG.render(plot).utf8), to: dir.appendingPathComponent(stem(section: i, plot.name) + ".svg"))
            }
        }
        try AtomicFile.write(Data(MarkdownReport.render(report, generatedAt: date).utf8), to: dir.appendingPathComponent("report.md"))
        try AtomicFile.write(try json(report), to: dir.appendingPathComponent("report.json"))
    }

    static func json(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(report) + Data("\n".utf8)
    }

    static func csvCell(_ v: ReportValue) -> String {
        switch v {
        case .number(let d): return NumberFormat.exact(d)
        case .text(let s): return s
        }
    }

    /// The numbers behind a plot, as a CSV header and rows.
    static func csv(of plot: ReportPlot) -> ([String], [[String]]) {
        switch plot.content {
        case .lines(let p):
            return (["series", p.xLabel.isEmpty ? "x" : p.xLabel, p.yLabel.isEmpty ? "y" : p.yLabel],
                    p.series.flatMap { s in zip(s.x, s.y).map { [s.name, NumberFormat.exact($0), NumberFormat.exact($1)] } })
        case .heatmap(let h):
            return ([""] + h.columnLabels,
                    h.values.enumerated().map { r, row in [r < h.rowLabels.count ? h.rowLabels[r] : "\(r)"] + row.map(NumberFormat.exact) })
        case .bars(let b):
            return (["label", b.valueLabel], zip(b.labels, b.values).map { [$0, NumberFormat.exact($1)] })
        }
    }
}
