/// Images (inputs, relevance maps, eigenvectors, templates) laid out as tiles in one heatmap:
/// a band of rows per row label, a tile per column label, blank (NaN) lines between tiles.
/// Multi-channel images are summed over their channels, as relevance maps usually are.
public struct ImageMosaic {
    /// [channels, height, width] of every tile.
    public let shape: [Int]

    public init?(shape: [Int]?) {
        guard let shape, shape.count == 3, shape.allSatisfy({ $0 > 0 }) else { return nil }
        self.shape = shape
    }

    public var pixels: Int { shape.reduce(1, *) }

    /// `tiles[r][c]` is the image in band r, column c (nil leaves the tile blank).
    public func heatmap(
        rowLabels: [String], columnLabels: [String], tiles: [[[Double]?]],
        valueLabel: String, signed: Bool
    ) -> PlotHeatmap {
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        var values: [[Double]] = []
        var labels: [String] = []
        for (r, band) in tiles.enumerated() {
            if r > 0 {
                // A blank row between bands.
                values.append([Double](repeating: .nan, count: band.count * (width + 1) - 1))
                labels.append("")
            }
            for y in 0..<height {
                var row: [Double] = []
                for (c, tile) in band.enumerated() {
                    if c > 0 { row.append(.nan) }
                    row += (0..<width).map { x in
                        guard let tile, tile.count == pixels else { return .nan }
                        return (0..<channels).reduce(0.0) { $0 + tile[($1 * height + y) * width + x] }
                    }
                }
                values.append(row)
                labels.append(y == 0 && r < rowLabels.count ? rowLabels[r] : "")
            }
        }
        // A column label sits over the middle of its tile.
        let columns = (0..<(columnLabels.count * (width + 1) - 1)).map { i -> String in
            let (tile, offset) = (i / (width + 1), i % (width + 1))
            return offset == width / 2 && tile < columnLabels.count ? columnLabels[tile] : ""
        }
        return PlotHeatmap(rowLabels: labels, columnLabels: columns, values: values, valueLabel: valueLabel, signed: signed)
    }
}
