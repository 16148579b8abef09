import LinAlg
import Networks
import Workbench

/// Every layer's output for every sample of the data, kept so that moving between samples and
/// units costs nothing. Flatten layers are left out: they repeat the layer before them.
struct ActivationRecord {
    struct LayerActivations {
        let name: String
        let shape: [Int]
        /// samples × units.
        let values: Matrix<Float>
        /// The colour scale over the whole data, so one sample's colours compare with another's.
        let scale: ColorScale
    }

    let layers: [LayerActivations]
    let predictions: [Int]
    /// samples × classes, softmax of the scores.
    let probabilities: Matrix<Float>

    /// Runs the data through `network` in batches, reporting to `job`.
    static func compute(_ network: Network<Float>, data: Dataset, label: String, job: JobControl, batchSize: Int = 256) throws
        -> ActivationRecord
    {
        let kept = network.layers.indices.filter { network.layers[$0].operation.kind != "flatten" }
        var parts = kept.map { _ in [Matrix<Float>]() }
        var probabilities: [Matrix<Float>] = []
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let end = min(start + batchSize, data.count)
            let trace = network.trace(data.x.rows(in: start..<end))
            for (k, i) in kept.enumerated() { parts[k].append(trace[i + 1]) }
            probabilities.append(softmax(trace[network.scoreIndex]))
            guard job.report(Double(end) / Double(data.count), "\(label): \(end)/\(data.count) samples") else { throw CancellationError() }
        }
        let layers = kept.enumerated().map { k, i -> LayerActivations in
            let values = Matrix.vstack(parts[k])
            return LayerActivations(
                name: network.layers[i].name, shape: network.layers[i].outputShape, values: values,
                scale: .fitting(values.storage))
        }
        let p = Matrix.vstack(probabilities)
        return ActivationRecord(layers: layers, predictions: p.rowArgmax(), probabilities: p)
    }
}

/// Where each unit of a layer goes in its heatmap: a near-square grid for a vector (one row
/// when it is short), channels side by side as tiles for a [C, H, W] map. Gaps are NaN.
struct HeatmapLayout {
    let rows: Int
    let cols: Int
    private let position: (Int) -> Int

    init(shape: [Int]) {
        if shape.count == 3 {
            let (c, h, w) = (shape[0], shape[1], shape[2])
            let tilesAcross = Int(Double(c).squareRoot().rounded(.up))
            let tilesDown = (c + tilesAcross - 1) / tilesAcross
            let cols = tilesAcross * (w + 1) - 1
            rows = tilesDown * (h + 1) - 1
            self.cols = cols
            position = { u in
                let (ch, rest) = u.quotientAndRemainder(dividingBy: h * w)
                let (y, x) = rest.quotientAndRemainder(dividingBy: w)
                return ((ch / tilesAcross) * (h + 1) + y) * cols + (ch % tilesAcross) * (w + 1) + x
            }
        } else {
            let n = shape.reduce(1, *)
            let cols = n <= 16 ? n : Int(Double(n).squareRoot().rounded(.up))
            self.cols = max(cols, 1)
            rows = (n + self.cols - 1) / self.cols
            position = { $0 }
        }
    }

    func cell(of unit: Int) -> Int { position(unit) }

    /// A heatmap of `values` (one per unit) in this layout.
    func heatmap(_ values: ArraySlice<Float>, scale: ColorScale, cursor: Int?) -> Heatmap {
        var grid = [Double](repeating: .nan, count: rows * cols)
        for (u, v) in values.enumerated() { grid[position(u)] = Double(v) }
        return Heatmap(values: grid, rows: rows, cols: cols, scale: scale, cursor: cursor.map(position))
    }
}
