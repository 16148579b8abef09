import Figures

/// Counts of values in equal-width bins, drawn as vertical bars in eighths of a cell, with the
/// largest count on the y axis, the range under the x axis, and an optional marked value ('▲').
public struct Histogram {
    public var values: [Double]
    public var title: String
    public var marker: Double?
    public var color: Color

    public init(values: [Double], title: String = "", marker: Double? = nil, color: Color = Theme.series[0]) {
        self.values = values.filter(\.isFinite)
        self.title = title
        self.marker = marker
        self.color = color
    }

    /// The range binned: the values' extent, widened when all are equal.
    public var range: (low: Double, high: Double) {
        let low = values.min() ?? 0, high = values.max() ?? 1
        return high > low ? (low, high) : (low - 0.5, low + 0.5)
    }

    /// How many values fall in each of `bins` equal bins over `range` (the top edge is in the last bin).
    public func counts(bins: Int) -> [Int] {
        let (low, high) = range
        var counts = [Int](repeating: 0, count: max(bins, 1))
        for v in values {
            let b = Int((v - low) / (high - low) * Double(counts.count))
            counts[min(max(b, 0), counts.count - 1)] += 1
        }
        return counts
    }

    static let eighths: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public func render(_ canvas: Canvas, bins: Int = 40) {
        canvas.text(0, 0, title, Theme.title)
        guard canvas.height >= 4, canvas.width >= 10 else { return }
        let plotHeight = canvas.height - 3
        let probe = counts(bins: 1)
        let labelWidth = String(probe[0]).count
        let n = max(min(bins, canvas.width - labelWidth - 1), 1)
        let c = counts(bins: n)
        let top = max(c.max() ?? 1, 1)
        let cellWidth = max((canvas.width - labelWidth - 1) / n, 1)
        let x0 = labelWidth + 1
        canvas.textRight(labelWidth, 1, String(top), Theme.dim)
        canvas.textRight(labelWidth, plotHeight, "0", Theme.dim)
        for row in 0..<plotHeight { canvas.put(labelWidth, 1 + row, "│", Theme.dim) }
        let style = Style(foreground: color)
        for (b, count) in c.enumerated() {
            let eighthsTall = Int((Double(count) / Double(top) * Double(plotHeight * 8)).rounded())
            for row in 0..<plotHeight {
                let fromBottom = eighthsTall - row * 8
                guard fromBottom > 0 else { break }
                let ch = fromBottom >= 8 ? "█" : Histogram.eighths[fromBottom - 1]
                for dx in 0..<cellWidth { canvas.put(x0 + b * cellWidth + dx, plotHeight - row, ch, style) }
            }
        }
        let axisY = plotHeight + 1
        for x in x0..<(x0 + n * cellWidth) { canvas.put(x, axisY, "─", Theme.dim) }
        let (low, high) = range
        if let m = marker, m.isFinite {
            let b = min(max(Int((m - low) / (high - low) * Double(n)), 0), n - 1)
            canvas.put(x0 + b * cellWidth + cellWidth / 2, axisY, "▲", Style(foreground: Theme.series[1], attributes: .bold))
        }
        canvas.text(x0, axisY + 1, NumberFormat.tick(low), Theme.dim)
        canvas.textRight(x0 + n * cellWidth, axisY + 1, NumberFormat.tick(high), Theme.dim)
    }
}
