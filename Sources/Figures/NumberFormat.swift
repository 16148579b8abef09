import Foundation

/// How Loupe writes numbers, everywhere. Machine-readable text (CSV, JSON) takes the shortest
/// form that reads back as the same Double, so a CSV value parses to exactly the figure in
/// report.json; text for reading (terminal, Markdown, SVG labels, the workbench) takes four
/// significant digits, with an exponent only for very small or very large magnitudes.
public enum NumberFormat {
    /// Exact and deterministic: "1", "0.1", "1e-05", "nan", "inf".
    public static func exact(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// For reading: `digits` significant digits (4), integers as integers, an exponent below
    /// 1e-3 and from 1e6 on: "0.01663", "1.212", "85002", "3.200e-05", "nan", "inf".
    public static func readable(_ x: Double, digits: Int = 4) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if x == x.rounded(), magnitude < 1e6 { return String(Int64(x)) }
        if magnitude < 1e-3 || magnitude >= 1e6 { return String(format: "%.\(digits - 1)e", x) }
        let text = String(format: "%.\(digits)g", x)
        return text.contains("e") ? String(format: "%.\(digits - 1)e", x) : text
    }

    /// A fraction as a percentage: 0.9688 → "96.9 %" (one decimal by default).
    public static func percent(_ fraction: Double, digits: Int = 1) -> String {
        fraction.isFinite ? String(format: "%.\(digits)f %%", 100 * fraction) : readable(fraction)
    }

    /// A whole number with thousands grouped: 85002 → "85,002".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// An axis label: as few characters as keep neighbouring ticks apart.
    public static func tick(_ v: Double) -> String {
        guard v.isFinite else { return readable(v) }
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e4 || a < 1e-2 { return String(format: "%.1e", v) }
        return String(format: "%.3g", v)
    }

    /// A sample's place in the data, counted from 0 as the command line and every CSV count
    /// it, with the range so that nobody reads it as counted from 1: "12 of 0…448".
    public static func sample(_ index: Int, of count: Int) -> String { "\(index) of 0…\(count - 1)" }
}
