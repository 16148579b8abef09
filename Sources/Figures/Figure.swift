/// What kind of number a figure is, which decides how every front end writes it.
public enum FigureUnit: String, Codable, Sendable {
    /// A measurement: four significant digits for reading ("0.01663", "1.212").
    case number
    /// A share from 0 to 1, read as a percentage ("96.88 %"); files keep the fraction.
    case fraction
    /// A whole number of things ("449", "1,024").
    case count
}

/// One number a result reports, described once: the key machines use (JSON, CSV), the label
/// people read (terminal, reports, workbench), the value, what kind of number it is, and the
/// part of the result it belongs to.
public struct Figure: Codable, Equatable, Sendable {
    /// The part of the result: "metrics", "downstream", "dark_matter".
    public var section: String
    /// Unique within its section, snake_case: "dead_fraction".
    public var key: String
    public var label: String
    public var value: Double
    public var unit: FigureUnit

    public init(_ section: String, _ key: String, _ label: String, _ value: Double, _ unit: FigureUnit = .number) {
        self.section = section
        self.key = key
        self.label = label
        self.value = value
        self.unit = unit
    }

    /// "metrics.dead_fraction": the figure's name in JSON and in a headline.
    public var path: String { "\(section).\(key)" }

    /// The value for reading, in its unit.
    public var text: String {
        switch unit {
        case .number: return NumberFormat.readable(value)
        case .fraction: return NumberFormat.percent(value, digits: 2)
        case .count:
            return value.isFinite && value == value.rounded() && abs(value) < 1e15
                ? NumberFormat.grouped(Int(value)) : NumberFormat.readable(value)
        }
    }
}

/// What a reader must know before trusting some figures: a fit that failed, something not
/// measured, too few samples. It goes wherever the figures go.
public struct Caveat: Codable, Equatable, Sendable {
    /// A stable name: "dark_matter.not_measured".
    public var key: String
    public var text: String

    public init(_ key: String, _ text: String) {
        self.key = key
        self.text = text
    }
}

/// A result's figures in order, and its caveats: the one description that the command line's
/// text and `--json`, a report's tables, the workbench's panels and its CSV export all render.
public struct FigureSheet: Codable, Equatable, Sendable {
    public var figures: [Figure]
    public var caveats: [Caveat]

    public init(figures: [Figure] = [], caveats: [Caveat] = []) {
        self.figures = figures
        self.caveats = caveats
    }

    public mutating func add(_ section: String, _ key: String, _ label: String, _ value: Double, _ unit: FigureUnit = .number) {
        figures.append(Figure(section, key, label, value, unit))
    }

    public mutating func caution(_ key: String, _ text: String) { caveats.append(Caveat(key, text)) }

    /// The figure at "section.key".
    public subscript(path: String) -> Figure? { figures.first { $0.path == path } }

    /// The sections in the order their first figure comes.
    public var sections: [String] {
        var seen = Set<String>()
        return figures.map(\.section).filter { seen.insert($0).inserted }
    }

    /// For reading: one row per figure (its section, label and value as text).
    public var readingTable: Table {
        Table(["section", "figure", "value"], rows: figures.map { [.text($0.section), .text($0.label), .text($0.text)] })
    }

    /// For files: one row per figure with its exact value, then one per caveat (section
    /// "caveat", its key, its text): what the workbench's `e` exports.
    public var exactTable: Table {
        Table(
            ["section", "figure", "value"],
            rows: figures.map { [.text($0.section), .text($0.key), .number($0.value)] }
                + caveats.map { [.text("caveat"), .text($0.key), .text($0.text)] })
    }

    /// For a terminal: under each section's name, its figures as "label  value" (values aligned),
    /// then the caveats.
    public var text: String {
        let width = figures.map { $0.label.count }.max() ?? 0
        var lines: [String] = []
        for section in sections {
            lines.append(section.replacingOccurrences(of: "_", with: " "))
            for f in figures where f.section == section {
                lines.append("  " + f.label + String(repeating: " ", count: width - f.label.count) + "  " + f.text)
            }
        }
        return (lines + caveats.map { "note: " + $0.text }).joined(separator: "\n")
    }

    /// For a report: one row per figure, with its section, label and exact value.
    public var reportTable: Table {
        Table(["section", "figure", "value"], rows: figures.map { [.text($0.section), .text($0.label), .number($0.value)] })
    }

    /// "section.key" → value, for JSON and headlines.
    public var values: [String: Double] { Dictionary(figures.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a }) }
}
