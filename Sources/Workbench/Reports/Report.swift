import Figures

/// A report: what a probe ran on and, per run, its section of text, tables and plots. Every
/// number a reader sees is in here, so report.json, the CSV files and report.md all come from
/// one value.
public struct Report: Codable, Equatable, Sendable {
    public var title: String
    public var probe: String
    public var seed: UInt64
    public var inputs: [ReportInput]
    public var sections: [ReportSection]

    public init(title: String, probe: String, seed: UInt64, inputs: [ReportInput], sections: [ReportSection]) {
        self.title = title
        self.probe = probe
        self.seed = seed
        self.inputs = inputs
        self.sections = sections
    }
}

/// A model or data set the report was computed from, with the digest that pins it down.
public struct ReportInput: Codable, Equatable, Sendable {
    public var role: String
    public var reference: String
    /// SHA-256 of the file (for demo models, of their cached file; nil for built-in data).
    public var sha256: String?

    public init(role: String, reference: String, sha256: String?) {
        self.role = role
        self.reference = reference
        self.sha256 = sha256
    }
}

public struct ReportSection: Codable, Equatable, Sendable {
    public var title: String
    public var method: String
    /// Paragraphs of Markdown.
    public var text: [String]
    public var tables: [ReportTable]
    public var plots: [ReportPlot]
    /// The figures a reader looks for first (accuracy, CKA, barrier …), also printed by `--json`.
    public var headline: [String: Double]

    public init(
        title: String, method: String, text: [String] = [], tables: [ReportTable] = [],
        plots: [ReportPlot] = [], headline: [String: Double] = [:]
    ) {
        self.title = title
        self.method = method
        self.text = text
        self.tables = tables
        self.plots = plots
        self.headline = headline
    }
}

/// A table of a report: a `Table` with the file-name stem of its CSV and a title.
public struct ReportTable: Codable, Equatable, Sendable {
    /// File-name stem of its CSV (unique within the report).
    public var name: String
    public var title: String
    public var table: Table

    public init(name: String, title: String, table: Table) {
        self.name = name
        self.title = title
        self.table = table
    }

    public init(name: String, title: String, columns: [String], rows: [[Table.Value]]) {
        self.init(name: name, title: title, table: Table(columns, rows: rows))
    }

    public var columns: [String] { table.header }
    public var rows: [[Table.Value]] { table.rows }

    // In report.json a table is its name, title, column names and rows of values.
    enum CodingKeys: String, CodingKey { case name, title, columns, rows }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name), title: try c.decode(String.self, forKey: .title),
            columns: try c.decode([String].self, forKey: .columns), rows: try c.decode([[Table.Value]].self, forKey: .rows))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(title, forKey: .title)
        try c.encode(columns, forKey: .columns)
        try c.encode(rows, forKey: .rows)
    }
}

/// A plot and the numbers behind it.
public struct ReportPlot: Codable, Equatable, Sendable {
    public var name: String
    public var title: String
    public var content: Content

    public enum Content: Codable, Equatable, Sendable {
        /// Curves over a shared x axis label (each series has its own x values).
        case lines(PlotLines)
        /// A matrix of values with row and column labels.
        case heatmap(PlotHeatmap)
        /// One bar per label.
        case bars(PlotBars)
    }

    public init(name: String, title: String, content: Content) {
        self.name = name
        self.title = title
        self.content = content
    }

    /// Curves against one x axis: the plot most runs draw.
    public static func lines(name: String, title: String, xLabel: String, yLabel: String, series: [LineSeries]) -> ReportPlot {
        ReportPlot(name: name, title: title, content: .lines(PlotLines(xLabel: xLabel, yLabel: yLabel, series: series)))
    }
}

public struct LineSeries: Codable, Equatable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public init(name: String, x: [Double], y: [Double]) {
        self.name = name
        self.x = x
        self.y = y
    }
}

public struct PlotLines: Codable, Equatable, Sendable {
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    public init(xLabel: String, yLabel: String, series: [LineSeries]) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }
}

public struct PlotHeatmap: Codable, Equatable, Sendable {
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// values[r][c]
    public var values: [[Double]]
    /// What a value means (for the colour bar): "CKA", "correlation" …
    public var valueLabel: String
    /// Signed data get a diverging map centred on 0; unsigned a sequential one.
    public var signed: Bool
    public init(rowLabels: [String], columnLabels: [String], values: [[Double]], valueLabel: String, signed: Bool) {
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.valueLabel = valueLabel
        self.signed = signed
    }
}

public struct PlotBars: Codable, Equatable, Sendable {
    public var labels: [String]
    public var values: [Double]
    public var valueLabel: String
    public init(labels: [String], values: [Double], valueLabel: String) {
        self.labels = labels
        self.values = values
        self.valueLabel = valueLabel
    }
}
