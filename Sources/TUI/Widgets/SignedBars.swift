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
