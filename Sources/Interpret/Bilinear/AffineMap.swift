import LinAlg
import Networks

/// A run of layers that together compute an affine map y = M x + c (linear and conv layers,
/// average pooling, flatten, identity), collapsed into one Float64 matrix. The bilinear
/// analysis folds the embedding before a bilinear layer into its weights this way, and the
/// readout after it into its output directions.
struct AffineMap {
    /// M, [out, in] like a PyTorch weight.
    let matrix: Matrix<Double>
    /// c, what the layers give for the zero input (their biases, carried through).
    let offset: [Double]

    /// Whether a layer computes an affine function of its input.
    static func isAffine<T>(_ operation: LayerOperation<T>) -> Bool {
        switch operation {
        case .linear, .conv2d, .batchNorm, .flatten, .reshape, .permute: return true
        case .pool(let pool): return pool.mode == .average
        case .activation(let activation): return activation == .identity || activation == .dropout
        case .bilinear, .embedding, .layerNorm, .merge, .softmax: return false
        }
    }

    /// The map of `layers`, which must all be affine. M is read off by sending the unit vectors
    /// through the layers with their biases removed, so a single linear layer gives its weight
    /// exactly; c is what the layers (with biases) make of the origin.
    init(composing layers: ArraySlice<Layer<Double>>, inputSize: Int) {
        precondition(layers.allSatisfy { Self.isAffine($0.operation) }, "AffineMap: a layer is not affine")
        let unbiased = layers.map(Self.withoutBias)
        let columns = unbiased.reduce(Matrix<Double>.identity(inputSize)) { $1.forward($0) }
        matrix = columns.transposed()
        offset = Array(layers.reduce(Matrix<Double>(rows: 1, cols: inputSize)) { $1.forward($0) }.row(0))
    }

    /// The linear part of an affine layer.
    private static func withoutBias(_ layer: Layer<Double>) -> Layer<Double> {
        let operation: LayerOperation<Double>
        switch layer.operation {
        case .linear(let l): operation = .linear(Linear(weight: l.weight, bias: nil))
        case .conv2d(let c): operation = .conv2d(c.replacing(weight: c.weight, bias: nil))
        case .batchNorm(let n):
            // The scale alone: γ/√(σ² + ε) with β = μ = 0.
            let zeros = [Double](repeating: 0, count: n.channels)
            operation = .batchNorm(
                BatchNorm(weight: n.weight, bias: zeros, runningMean: zeros, runningVar: n.runningVar, eps: n.eps, positions: n.positions))
        default: return layer
        }
        return Layer(name: layer.name, operation: operation, inputShape: layer.inputShape, outputShape: layer.outputShape)
    }
}
