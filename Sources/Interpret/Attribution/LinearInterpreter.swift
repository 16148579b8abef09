import LinAlg
import Networks

/// The exact linear interpreter of a piecewise-linear network (docs/methods.md): with its gates
/// frozen at x (ReLU masks, max-pool winners) the network is an affine map, so
///
///     f(x) = A(x)·x + b(x),
///
/// A(x) the Jacobian at x and b(x) = Σ_layers J_l(x)·b_l, each layer's bias carried to the
/// output by the frozen layers above it (J_l the Jacobian of the scores with respect to layer
/// l's output). Both come from one backward pass of the identity through the frozen network,
/// for all classes and samples at once (each sample's rows repeated once per class), and
/// `residuals` checks the identity against the forward pass.
public struct LinearInterpreter<T: BLASScalar>: Sendable {
    public let network: Network<T>

    /// Refuses networks that are not piecewise linear: anything but linear, conv2d, batchnorm,
    /// (leaky) ReLU, identity, dropout, pooling, flatten, reshape, permute, add and concat before
    /// the scores.
    public init(network: Network<T>) throws {
        for layer in network.layers[0..<network.scoreIndex] {
            switch layer.operation {
            case .linear, .conv2d, .batchNorm, .pool, .flatten, .reshape, .permute, .merge(.add), .merge(.concat): continue
            case .activation(let a) where a.isPiecewiseLinear: continue
            default:
                throw InterpretError(
                    "the linear interpreter needs a piecewise-linear network (linear, conv2d, batchnorm, relu, leaky_relu, identity, dropout, max/avg-pool, flatten, reshape, permute, add, concat), but layer '\(layer.name)' of '\(network.name)' is \(layer.operation.kind)"
                )
            }
        }
        self.network = network
    }

    /// The layers with a bias (a batchnorm's shift is one), whose shares make up b(x), in order.
    public var biasLayers: [String] {
        network.layers[0..<network.scoreIndex].filter { layer in
            switch layer.operation {
            case .linear(let l): return l.bias != nil
            case .conv2d(let c): return c.bias != nil
            case .batchNorm: return true
            default: return false
            }
        }.map(\.name)
    }

    /// The backward pass of the identity runs through the graph like any gradient: where an
    /// activation feeds several layers (a residual stream), their Jacobians add; an add passes
    /// its Jacobian to each summand, a concat splits it.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func interpret(_ x: Matrix<T>) throws -> LinearMaps<T> {
        guard x.cols == network.inputSize else {
            throw InterpretError(
                "linear interpreter: samples of \(x.cols) values, but model '\(network.name)' expects input \(shapeText(network.input.shape))"
            )
        }
        let end = network.scoreIndex
        let trace = network.trace(x, through: end)
        let scores = trace[end]
        let (n, c) = (x.rows, scores.cols)
        // Row n·C + k starts as e_k: the Jacobian of score k of sample n.
        var start = Matrix<T>(rows: n * c, cols: c)
        for row in 0..<(n * c) { start[row, row % c] = 1 }
        var jacobians = [Matrix<T>?](repeating: nil, count: end + 1)
        jacobians[end] = start
        var shares: [Matrix<T>] = []
        for i in (0..<end).reversed() {
            // A branch that does not reach the scores has a zero Jacobian (and bias share).
            var g = jacobians[i + 1] ?? Matrix(rows: n * c, cols: network.layers[i].outputSize)
            jacobians[i + 1] = nil
            let reads = network.inputIndices(of: i)
            let a = trace[reads[0]]
            var parts: [Matrix<T>]? = nil
            switch network.layers[i].operation {
            case .linear(let l):
                if let b = l.bias { shares.append(perRow(matvec(g, b), samples: n, classes: c)) }
                g = matmul(g, l.weight)
            case .conv2d(let conv):
                if let b = conv.bias {
                    // Each channel's bias reaches every position of that channel.
                    let p = conv.geometry.outPositions
                    let channelSums = Matrix<T>(rows: g.rows * conv.outChannels, cols: p, storage: g.storage).rowSums()
                    shares.append(
                        perRow(matvec(Matrix(rows: g.rows, cols: conv.outChannels, storage: channelSums), b), samples: n, classes: c))
                }
                g = conv.correlateTransposed(g, weight: conv.weight)
            case .batchNorm(let norm):
                shares.append(perRow(matvec(g, norm.columnShift), samples: n, classes: c))
                g.scaleColumns(norm.columnScale)
            case .pool(let pool):
                let winners = pool.mode == .max ? repeatEach(pool.winners(a), times: c, block: pool.outputSize) : nil
                g = pool.distribute(g, samples: g.rows, winners: winners)
            case .activation(let activation) where activation.slopeBelowZero != nil:
                let slope = T(activation.slopeBelowZero!)
                let mask = a.map { $0 > 0 ? 1 : slope }
                g = g.hadamard(Matrix(rows: g.rows, cols: g.cols, storage: repeatEach(mask.storage, times: c, block: g.cols)))
            case .permute(let p):
                g = p.backward(g)
            case .merge(let merge):
                // add and concat only (checked at init): neither reads its inputs' values.
                parts = merge.backward(inputs: reads.map { trace[$0] }, gradOutput: g)
            default:
                break
            }
            for (k, r) in reads.enumerated() {
                let part = parts?[k] ?? g
                if jacobians[r] == nil { jacobians[r] = part } else { jacobians[r]!.add(part) }
            }
        }
        let jacobian = jacobians[0] ?? Matrix(rows: n * c, cols: x.cols)
        return LinearMaps(jacobian: jacobian, biasShares: Array(shares.reversed()), scores: scores, input: x)
    }

    /// A vector of n·C values (row n·C + k) as an n × C matrix.
    private func perRow(_ v: [T], samples: Int, classes: Int) -> Matrix<T> {
        Matrix(rows: samples, cols: classes, storage: v)
    }

    /// Each consecutive block of `block` values repeated `times` times.
    private func repeatEach<E>(_ values: [E], times: Int, block: Int) -> [E] {
        var out: [E] = []
        out.reserveCapacity(values.count * times)
        for start in stride(from: 0, to: values.count, by: block) {
            for _ in 0..<times { out.append(contentsOf: values[start..<(start + block)]) }
        }
        return out
    }
}

/// The affine maps of a batch: A(x) for every class of every sample, and b(x) by layer.
public struct LinearMaps<T: BLASScalar>: Sendable {
    /// [samples · classes, inputs]: row n·C + k is A_k(x_n), class k's template for sample n.
    public let jacobian: Matrix<T>
    /// One [samples, classes] matrix per layer with a bias (`LinearInterpreter.biasLayers`):
    /// that bias's share of b(x).
    public let biasShares: [Matrix<T>]
    /// [samples, classes]: the network's scores f(x).
    public let scores: Matrix<T>
    public let input: Matrix<T>

    public var classes: Int { scores.cols }

    /// [samples, classes]: b(x), the sum of the layers' shares.
    public var bias: Matrix<T> {
        biasShares.reduce(Matrix(rows: scores.rows, cols: scores.cols)) { $0 + $1 }
    }

    /// A_k(x_n) for every class k, [classes, inputs].
    public func templates(sample n: Int) -> Matrix<T> { jacobian.rows(in: (n * classes)..<((n + 1) * classes)) }

    /// [samples, classes]: Σ_i A_ki x_i + b_k − f_k(x), zero up to rounding.
    public var residuals: Matrix<T> {
        var r = bias - scores
        for n in 0..<scores.rows {
            let votes = matvec(templates(sample: n), Array(input.row(n)))
            for k in 0..<classes { r[n, k] += votes[k] }
        }
        return r
    }
}
