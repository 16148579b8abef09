import LinAlg
import Networks

/// Activations of named layers over many samples, the raw material of every comparison here.
public enum LayerActivations {
    /// One matrix per layer, samples × values (each layer's output flattened in C·H·W order),
    /// computed in batches of `batchSize` samples.
    public static func collect(
        _ network: Network<Float>, _ x: Matrix<Float>, layers: [String],
        batchSize: Int = 512
    ) throws -> [Matrix<Float>] {
        guard x.cols == network.inputSize else {
            throw InterpretError("samples of \(x.cols) values, but model '\(network.name)' expects input \(shapeText(network.input.shape))")
        }
        var parts = [[Matrix<Float>]](repeating: [], count: layers.count)
        for start in stride(from: 0, to: x.rows, by: max(batchSize, 1)) {
            let captured = try network.forward(x.rows(in: start..<min(start + batchSize, x.rows)), capturing: layers)
            for (k, name) in layers.enumerated() { parts[k].append(captured[name]!) }
        }
        return parts.map { Matrix.vstack($0) }
    }

    /// A layer's units as columns. A flat layer is returned as it is; a [C, H, W] layer has one
    /// unit per channel and one row per sample and position (N·H·W × C), the way convergent
    /// learning and activation matching treat convolutional channels.
    public static func units<T>(_ activations: Matrix<T>, shape: [Int]) -> Matrix<T> {
        guard shape.count == 3 else { return activations }
        return activations.channelsLast(channels: shape[0], positions: shape[1] * shape[2])
    }

    /// The number of units a layer has in the sense of `units`: channels or features.
    public static func unitCount(shape: [Int]) -> Int { shape.count == 3 ? shape[0] : shape.reduce(1, *) }
}

extension Matrix {
    /// Columns whose every entry equals the first exactly: units that never change over the
    /// data. (Their computed standard deviation need not be 0: centring rounds.)
    func constantColumns() -> [Int] {
        (0..<cols).filter { j in (1..<rows).allSatisfy { self[$0, j] == self[0, j] } }
    }
}
