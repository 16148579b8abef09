import Networks

/// Values with one entry per input of a network — a sample, a relevance map, a template —
/// laid out as the input is drawn: an image's height × width (channels summed, as relevance
/// heatmaps are usually shown), or for any other input the near-square grid of the
/// Activations view. The LRP and interpreter views draw every map through this, magnified
/// so that the input and its maps line up pixel for pixel.
struct InputMap {
    let rows: Int
    let cols: Int
    /// rows × cols, row-major; NaN where the grid has no input.
    let grid: [Double]

    init(_ values: [Double], network: Network<Float>) {
        if let shape = InputMap.imageShape(network), shape.reduce(1, *) == values.count {
            let (channels, plane) = (shape[0], shape[1] * shape[2])
            rows = shape[1]
            cols = shape[2]
            grid = (0..<plane).map { i in (0..<channels).reduce(0.0) { $0 + values[$1 * plane + i] } }
        } else {
            let layout = HeatmapLayout(shape: [values.count])
            rows = layout.rows
            cols = layout.cols
            var grid = [Double](repeating: .nan, count: rows * cols)
            for (i, v) in values.enumerated() { grid[layout.cell(of: i)] = v }
            self.grid = grid
        }
    }

    /// How the network's input is drawn, [channels, height, width], if it is an image.
    static func imageShape(_ network: Network<Float>) -> [Int]? {
        network.input.image ?? (network.input.shape.count == 3 ? network.input.shape : nil)
    }

    /// The largest magnification up to `limit` at which the map fits `cells` (at least 1).
    func magnification(fitting cells: (width: Int, height: Int), mode: ColorMode, limit: Int) -> Int {
        let rowsPerCell = mode.hasColor ? 2 : 1
        return max(min(cells.width / max(cols, 1), cells.height * rowsPerCell / max(rows, 1), limit), 1)
    }

    /// Cells the map takes at magnification `m`.
    func size(_ m: Int, mode: ColorMode) -> (width: Int, height: Int) {
        Heatmap.size(rows: rows * m, cols: cols * m, mode: mode)
    }

    /// The map as a heatmap, each value an m × m block.
    func heatmap(_ m: Int, scale: ColorScale) -> Heatmap {
        Heatmap(magnifying: grid, rows: rows, cols: cols, by: m, scale: scale)
    }

    /// The diverging scale centred on zero that spans ±max |value| (signed maps: relevance,
    /// templates, votes).
    static func signedScale<S: Sequence>(_ values: S) -> ColorScale where S.Element == Double {
        .diverging(limit: values.reduce(0.0) { v, x in x.isFinite ? max(v, abs(x)) : v })
    }

    /// Draws the sample itself at magnification `m`: as a picture when the input is an image,
    /// else as a heatmap of its values.
    static func drawInput(_ x: [Double], network: Network<Float>, magnification m: Int, canvas: Canvas) {
        if let shape = imageShape(network), shape.reduce(1, *) == x.count {
            let range = network.input.range.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            ImageWidget(pixels: x, shape: shape, range: range).render(canvas, scale: m)
        } else {
            InputMap(x, network: network).heatmap(m, scale: .fitting(x)).render(canvas)
        }
    }

    /// A titled map: `title` on the first row, the heatmap, and its legend on the row below.
    /// Returns the rows used.
    @discardableResult
    func drawTitled(_ title: String, style: Style = Theme.title, magnification m: Int, scale: ColorScale, canvas: Canvas) -> Int {
        let size = self.size(m, mode: canvas.colors)
        canvas.text(0, 0, title, style, maxWidth: max(size.width, 12))
        heatmap(m, scale: scale).render(canvas.sub(Rect(x: 0, y: 1, width: size.width, height: size.height)))
        Heatmap.legend(scale, canvas: canvas.sub(Rect(x: 0, y: 1 + size.height, width: max(size.width, 12), height: 1)))
        return size.height + 2
    }
}
