import Foundation

/// How numbers are written in reports. Machine-readable files (CSV, JSON) use Swift's shortest
/// round-tripping form, so a CSV value parses to exactly the Double in report.json; text meant
/// for reading (Markdown, SVG labels) uses a few significant digits.
public enum NumberFormat {
    /// Exact and deterministic: the shortest text that reads back as the same Double.
    public static func exact(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// For reading: 4 significant digits, integers as integers.
    public static func readable(_ x: Double, digits: Int = 4) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "∞" : "−∞" }
        if x == x.rounded(), abs(x) < 1e9 { return String(Int64(x)) }
        let magnitude = abs(x)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) { return String(format: "%.\(digits - 1)e", x) }
        var text = String(format: "%.\(digits)g", x)
        if text.contains("e") { text = String(format: "%.\(digits - 1)e", x) }
        return text
    }
}
