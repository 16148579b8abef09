import Figures

/// A matrix of values as colours. With colour, each cell shows two values stacked (the upper
/// half block '▀' takes the top value as foreground and the bottom one as background), so a
/// rows×cols matrix takes cols × ⌈rows/2⌉ cells. Without colour, each value is one ramp
/// character (' .:-=+*#%@', zero of a diverging scale on '+'), taking cols × rows cells. NaN values are left blank (used as gaps
/// between tiles).
public struct Heatmap {
    public var values: [Double]
    public var rows: Int
    public var cols: Int
    public var scale: ColorScale
    /// A value to mark (the selected unit), drawn in the cursor colour.
    public var cursor: Int?

    public init(values: [Double], rows: Int, cols: Int, scale: ColorScale? = nil, cursor: Int? = nil) {
        precondition(values.count == rows * cols, "Heatmap: \(values.count) values for \(rows)×\(cols)")
        self.values = values
        self.rows = rows
        self.cols = cols
        self.scale = scale ?? .fitting(values)
        self.cursor = cursor
    }

    /// A rows × cols grid with each value drawn as an m × m block, so that small images read.
    public init(magnifying grid: [Double], rows: Int, cols: Int, by m: Int, scale: ColorScale) {
        var values = [Double](repeating: .nan, count: rows * m * cols * m)
        for r in 0..<rows * m {
            for c in 0..<cols * m { values[r * cols * m + c] = grid[(r / m) * cols + c / m] }
        }
        self.init(values: values, rows: rows * m, cols: cols * m, scale: scale)
    }

    /// Cells needed in `mode`.
    public static func size(rows: Int, cols: Int, mode: ColorMode) -> (width: Int, height: Int) {
        (cols, mode.hasColor ? (rows + 1) / 2 : rows)
    }

    public func render(_ canvas: Canvas) {
        if canvas.colors.hasColor { renderHalfBlocks(canvas) } else { renderCharacters(canvas) }
    }

    private func color(_ index: Int) -> Color {
        if index == cursor { return Theme.cursor }
        let v = values[index]
        return v.isNaN ? .terminalDefault : scale.color(v)
    }

    private func renderHalfBlocks(_ canvas: Canvas) {
        for y in 0..<min((rows + 1) / 2, canvas.height) {
            for x in 0..<min(cols, canvas.width) {
                let top = 2 * y * cols + x
                let bottom = (2 * y + 1) < rows ? top + cols : nil
                let fg = color(top)
                let bg = bottom.map(color) ?? .terminalDefault
                if fg == .terminalDefault, bg == .terminalDefault { continue }
                if fg == .terminalDefault {
                    canvas.put(x, y, "▄", Style(foreground: bg))
                } else {
                    canvas.put(x, y, "▀", Style(foreground: fg, background: bg))
                }
            }
        }
    }

    private func renderCharacters(_ canvas: Canvas) {
        for y in 0..<min(rows, canvas.height) {
            for x in 0..<min(cols, canvas.width) {
                let i = y * cols + x
                let v = values[i]
                if i == cursor { canvas.put(x, y, "█", Theme.selected); continue }
                if !v.isNaN { canvas.put(x, y, scale.character(v)) }
            }
        }
    }

    /// A one-row legend: the low end, a colour (or ramp) bar, the high end; on a diverging
    /// scale a '0' marks the middle when there is room.
    public static func legend(_ scale: ColorScale, canvas: Canvas, y: Int = 0) {
        let low = NumberFormat.tick(scale.low), high = NumberFormat.tick(scale.high)
        let barWidth = canvas.width - low.count - high.count - 2
        guard barWidth >= 3 else { return }
        canvas.text(0, y, low, Theme.dim)
        for i in 0..<barWidth {
            let v = scale.low + (scale.high - scale.low) * (Double(i) + 0.5) / Double(barWidth)
            if canvas.colors.hasColor {
                canvas.put(low.count + 1 + i, y, " ", Style(background: scale.color(v)))
            } else {
                canvas.put(low.count + 1 + i, y, scale.character(v))
            }
        }
        if case .diverging = scale, barWidth >= 7 {
            let mid = low.count + 1 + barWidth / 2
            canvas.put(
                mid, y, "0", Style(foreground: .rgb(0, 0, 0), background: canvas.colors.hasColor ? scale.color(0) : .terminalDefault))
        }
        canvas.text(low.count + 2 + barWidth, y, high, Theme.dim)
    }
}
