import Figures

/// Horizontal bars, one labelled row per item, in eighths of a cell, with the value after the
/// bar. Negative values draw no bar.
public struct BarChart {
    public var items: [(label: String, value: Double)]
    public var highlight: Int?
    public var color: Color
    public var format: (Double) -> String

    public init(
        items: [(label: String, value: Double)], highlight: Int? = nil, color: Color = Theme.series[0],
        format: @escaping (Double) -> String = { NumberFormat.readable($0) }
    ) {
        self.items = items
        self.highlight = highlight
        self.color = color
        self.format = format
    }

    static let eighths: [Unicode.Scalar] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]

    public func render(_ canvas: Canvas) {
        let labelWidth = items.map { $0.label.unicodeScalars.count }.max() ?? 0
        let valueTexts = items.map { format($0.value) }
        let valueWidth = valueTexts.map(\.count).max() ?? 0
        let barWidth = canvas.width - labelWidth - valueWidth - 2
        let top = items.map(\.value).filter(\.isFinite).max() ?? 0
        for (row, item) in items.enumerated().prefix(canvas.height) {
            let style = row == highlight ? Theme.title : Style.plain
            canvas.text(0, row, item.label, style, maxWidth: labelWidth)
            if barWidth > 0, top > 0, item.value > 0 {
                let eighthsLong = Int((item.value / top * Double(barWidth) * 8).rounded())
                let barStyle = Style(foreground: row == highlight ? Theme.series[1] : color)
                for x in 0..<(eighthsLong / 8) { canvas.put(labelWidth + 1 + x, row, "█", barStyle) }
                if eighthsLong % 8 > 0 {
                    canvas.put(labelWidth + 1 + eighthsLong / 8, row, BarChart.eighths[eighthsLong % 8 - 1], barStyle)
                }
            }
            canvas.textRight(canvas.width, row, valueTexts[row], style)
        }
    }
}
