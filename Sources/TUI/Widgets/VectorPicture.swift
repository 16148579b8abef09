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
        return Heatmap(magnifying: grid, rows: layout.rows, cols: layout.cols, by: s, scale: scale)
    }
}
