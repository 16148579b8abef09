/// The part of a unit × unit matrix a canvas shows, and at what scale. Fitted, each heatmap
/// pixel (half a cell with colour, a cell without) is the mean of a square block of f × f
/// entries, f the smallest whole factor that fits the matrix in; zoomed, each pixel is one
/// entry and the window scrolls to keep the cursor in view. Either way a frame costs one pass
/// over the entries shown, whatever the size of the matrix.
struct MatrixWindow: Equatable {
    /// Entries per pixel along each axis.
    var factor: Int
    /// The first entry shown.
    var firstRow: Int
    var firstColumn: Int
    var pixelRows: Int
    var pixelColumns: Int
    /// The size of the whole matrix.
    var rows: Int
    var columns: Int

    /// The window for a rows × columns matrix in `width` × `height` cells. `previous` is the
    /// window of the last frame, so that a zoomed window scrolls only as far as it must.
    init(
        rows: Int, columns: Int, width: Int, height: Int, colors: ColorMode, zoomed: Bool,
        cursor: (row: Int, column: Int), previous: MatrixWindow?
    ) {
        let pixelHeight = max(colors.hasColor ? 2 * height : height, 1), pixelWidth = max(width, 1)
        self.rows = rows
        self.columns = columns
        if zoomed {
            factor = 1
            pixelRows = min(rows, pixelHeight)
            pixelColumns = min(columns, pixelWidth)
            firstRow = firstShown(previous?.factor == 1 ? previous!.firstRow : 0, toShow: cursor.row, visible: pixelRows)
            firstColumn = firstShown(previous?.factor == 1 ? previous!.firstColumn : 0, toShow: cursor.column, visible: pixelColumns)
        } else {
            factor = max((rows + pixelHeight - 1) / pixelHeight, (columns + pixelWidth - 1) / pixelWidth, 1)
            pixelRows = (rows + factor - 1) / factor
            pixelColumns = (columns + factor - 1) / factor
            firstRow = 0
            firstColumn = 0
        }
    }

    /// The entries behind pixel row `r` (or column): a block of up to `factor`.
    func rowRange(_ r: Int) -> Range<Int> { block(r, first: firstRow, count: rows) }
    func columnRange(_ c: Int) -> Range<Int> { block(c, first: firstColumn, count: columns) }

    private func block(_ p: Int, first: Int, count: Int) -> Range<Int> {
        let start = first + p * factor
        return start..<min(start + factor, count)
    }

    /// The pixel (row and column) that shows entry (row, column), if it is in the window.
    func cell(row: Int, column: Int) -> (row: Int, column: Int)? {
        let (r, c) = ((row - firstRow) / factor, (column - firstColumn) / factor)
        guard row >= firstRow, column >= firstColumn, r < pixelRows, c < pixelColumns else { return nil }
        return (r, c)
    }

    /// The mean of the entries behind pixel (r, c).
    func mean(_ matrix: [[Double]], _ r: Int, _ c: Int) -> Double {
        let (rowRange, columnRange) = (rowRange(r), columnRange(c))
        var sum = 0.0
        for i in rowRange { for j in columnRange { sum += matrix[i][j] } }
        return sum / Double(rowRange.count * columnRange.count)
    }

    /// The heatmap of the window, each pixel the mean of its entries, the cursor's pixel marked.
    /// One entry per pixel, the colours span −1…1; fitted, block means are small (a strong
    /// correlation is diluted by the weak ones around it), so the colours span ± the largest
    /// mean of a whole block (the short blocks at the edges average fewer entries and would
    /// set the scale by chance), which stays put as the cursor moves.
    func heatmap(_ matrix: [[Double]], cursor: (row: Int, column: Int)) -> Heatmap {
        var values = [Double](repeating: 0, count: pixelRows * pixelColumns)
        var largest = 0.0
        for r in 0..<pixelRows {
            for c in 0..<pixelColumns {
                let v = mean(matrix, r, c)
                values[r * pixelColumns + c] = v
                if rowRange(r).count == factor, columnRange(c).count == factor { largest = Swift.max(largest, abs(v)) }
            }
        }
        return Heatmap(
            values: values, rows: pixelRows, cols: pixelColumns,
            scale: .diverging(limit: factor == 1 || largest == 0 ? 1 : largest),
            cursor: cell(row: cursor.row, column: cursor.column).map { $0.row * pixelColumns + $0.column })
    }
}
