/// A small matrix of named rows and columns (layers against layers) drawn as blocks of colour
/// with each value written in its block when it fits: row names on the left, column names
/// above (upright, one letter per row, when a block is too narrow for them). A matrix too big
/// for the canvas scrolls to keep the cursor in view.
struct LayerGrid {
    var values: [[Double]]
    var rowLabels: [String]
    var columnLabels: [String]
    var scale: ColorScale
    var cursor: (row: Int, column: Int)

    /// Where the blocks go in a canvas of a given size.
    struct Layout: Equatable {
        var labelWidth: Int
        var headerHeight: Int
        var upright: Bool
        var cellWidth: Int
        var cellHeight: Int
        var visibleRows: Int
        var visibleColumns: Int
    }

    static let maximumLabel = 16

    func layout(width: Int, height: Int) -> Layout {
        let rows = max(values.count, 1), columns = max(columnLabels.count, 1)
        let labelWidth = min(rowLabels.map { $0.unicodeScalars.count }.max() ?? 0, Self.maximumLabel) + 1
        let cellWidth = min(max((width - labelWidth) / columns, 2), 8)
        let longest = min(columnLabels.map { $0.unicodeScalars.count }.max() ?? 0, Self.maximumLabel)
        let upright = longest > cellWidth - 1
        let headerHeight = upright ? min(longest, max(height / 4, 2)) : 1
        let cellHeight = min(max((height - headerHeight) / rows, 1), 3)
        return Layout(
            labelWidth: labelWidth, headerHeight: headerHeight, upright: upright, cellWidth: cellWidth, cellHeight: cellHeight,
            visibleRows: max((height - headerHeight) / cellHeight, 1),
            visibleColumns: max((width - labelWidth) / cellWidth, 1))
    }

    /// Draws the grid; `origin` is the first row and column shown, updated to keep the cursor in view.
    func render(_ canvas: Canvas, origin: inout (row: Int, column: Int)) {
        let l = layout(width: canvas.width, height: canvas.height)
        origin.row = firstShown(origin.row, toShow: cursor.row, visible: l.visibleRows)
        origin.column = firstShown(origin.column, toShow: cursor.column, visible: l.visibleColumns)
        let rows = origin.row..<min(origin.row + l.visibleRows, values.count)
        let columns = origin.column..<min(origin.column + l.visibleColumns, columnLabels.count)
        for (k, j) in columns.enumerated() {
            let x = l.labelWidth + k * l.cellWidth
            let style = j == cursor.column ? Theme.title.with(.reverse) : Theme.title
            if l.upright {
                // A name too long keeps its end, where layer names differ (relu1, relu12).
                let all = Array(columnLabels[j].unicodeScalars)
                let letters = all.count <= l.headerHeight ? all : ["…"] + all.suffix(l.headerHeight - 1)
                for (y, letter) in letters.enumerated() { canvas.put(x + (l.cellWidth - 1) / 2, y, letter, style) }
            } else {
                canvas.text(x, 0, columnLabels[j], style, maxWidth: l.cellWidth - 1)
            }
        }
        for (k, i) in rows.enumerated() {
            let y = l.headerHeight + k * l.cellHeight
            let style = i == cursor.row ? Theme.title.with(.reverse) : Theme.title
            canvas.sub(Rect(x: 0, y: y + (l.cellHeight - 1) / 2, width: l.labelWidth - 1, height: 1))
                .textRight(l.labelWidth - 1, 0, rowLabels[i], style)
            for (m, j) in columns.enumerated() {
                let block = Rect(x: l.labelWidth + m * l.cellWidth, y: y, width: l.cellWidth - 1, height: l.cellHeight)
                drawBlock(canvas.sub(block), values[i][j], selected: i == cursor.row && j == cursor.column)
            }
        }
    }

    /// One value: its colour over the block (a ramp character without colour), and its value
    /// to two decimals in the middle row when the block is wide enough.
    private func drawBlock(_ block: Canvas, _ value: Double, selected: Bool) {
        let text = String(format: "%.2f", value)
        let fits = text.unicodeScalars.count <= block.width
        if block.colors.hasColor {
            let background = selected ? Theme.cursor : scale.color(value)
            block.fill(Style(background: background))
            if fits {
                block.text(
                    (block.width - text.unicodeScalars.count) / 2, (block.height - 1) / 2, text,
                    Style(foreground: Self.readable(on: background), background: background))
            }
        } else {
            // The number set off from the ramp characters by a space each side, where there is room.
            block.fill(selected ? Theme.selected : .plain, selected ? " " : scale.character(value))
            let padded = text.unicodeScalars.count + 2 <= block.width ? " \(text) " : text
            if fits {
                block.text(
                    (block.width - padded.unicodeScalars.count) / 2, (block.height - 1) / 2, padded,
                    selected ? Theme.selected : .plain)
            }
        }
    }

    /// Black or white, whichever reads better on `background`.
    static func readable(on background: Color) -> Color {
        guard case .rgb(let r, let g, let b) = background else { return .terminalDefault }
        let luminance = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
        return luminance > 140 ? .rgb(0, 0, 0) : .rgb(255, 255, 255)
    }
}
