import Figures
/// Horizontal bars for signed values about a centre line, in half cells: positive values to
/// the right in the diverging map's red, negative ones to the left in its blue (the colours of
/// the eigenvector heatmaps), each row labelled and followed by its value.
struct SignedBars {
    var items: [(label: String, value: Double)]

    static let positive = Style(foreground: ColorScale.diverging(limit: 1).color(1))
    static let negative = Style(foreground: ColorScale.diverging(limit: 1).color(-1))

    func render(_ canvas: Canvas) {
        let labelWidth = items.map { $0.label.unicodeScalars.count }.max() ?? 0
        let valueWidth = items.map { NumberFormat.readable($0.value).count }.max() ?? 0
        // Cells each side of the centre line.
        let half = max((canvas.width - labelWidth - valueWidth - 3) / 2, 0)
        let centre = labelWidth + 1 + half
        let largest = items.map { abs($0.value) }.filter(\.isFinite).max() ?? 0
        for (row, item) in items.enumerated().prefix(canvas.height) {
            canvas.text(0, row, item.label, .plain, maxWidth: labelWidth)
            canvas.textRight(canvas.width, row, NumberFormat.readable(item.value))
            guard half > 0 else { continue }
            canvas.put(centre, row, "│", Theme.dim)
            guard largest > 0, item.value.isFinite, item.value != 0 else { continue }
            let halves = Int((abs(item.value) / largest * Double(2 * half)).rounded())
            let right = item.value > 0
            for cell in 0..<((halves + 1) / 2) {
                let whole = 2 * cell + 1 < halves
                let x = right ? centre + 1 + cell : centre - 1 - cell
                canvas.put(x, row, whole ? "█" : (right ? "▌" : "▐"), right ? Self.positive : Self.negative)
            }
        }
    }
}

/// A vector of the form space drawn as a heatmap in the shape of the space (an image, or a
/// near-square grid), each value magnified to a square of cells so that small images read.
struct VectorPicture {
    let layout: HeatmapLayout

    init(imageShape: [Int]?, size: Int) {
        layout = HeatmapLayout(shape: imageShape ?? [size])
    }

    func size(magnification s: Int, mode: ColorMode) -> (width: Int, height: Int) {
        Heatmap.size(rows: layout.rows * s, cols: layout.cols * s, mode: mode)
    }

    /// The largest magnification (at least 1) at which `count` pictures side by side, each with
    /// `minimumWidth` cells and a gap of `gap`, fit in `width`, and one fits in `height`.
    func magnification(count: Int, minimumWidth: Int, gap: Int, width: Int, height: Int, mode: ColorMode) -> Int {
        var s = 1
        while s < 8 {
            let next = size(magnification: s + 1, mode: mode)
            guard count * (max(next.width, minimumWidth) + gap) <= width + gap, next.height <= height else { break }
            s += 1
        }
        return s
    }

    func heatmap(_ vector: [Double], scale: ColorScale, magnification s: Int) -> Heatmap {
        var grid = [Double](repeating: .nan, count: layout.rows * layout.cols)
        for (u, v) in vector.enumerated() { grid[layout.cell(of: u)] = v }
        let (rows, cols) = (layout.rows * s, layout.cols * s)
        let magnified = (0..<(rows * cols)).map { i in grid[(i / cols / s) * layout.cols + (i % cols) / s] }
        return Heatmap(values: magnified, rows: rows, cols: cols, scale: scale)
    }
}
