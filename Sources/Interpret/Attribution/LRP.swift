import LinAlg
import Networks

/// Layer-wise relevance propagation (docs/methods.md), batched: a batch of explanations is one
/// forward pass and, per layer, a few gemms for all samples together.
///
/// The explanation of a target starts at the scores (before a final softmax) with
/// R = u ⊙ f(x), u the target's one-hot row or direction, and walks back layer by layer:
/// linear and conv2d layers by their rule (`LRPRule`, chosen by the configuration's composite
/// and per-layer rules), the bilinear layer by its quadratic-share rule, max-pooling to each
/// window's winner, average pooling as a bias-free linear layer under the stabilised z-rule
/// (Zennit's `Norm`); activations and flatten pass relevance through unchanged (Zennit's `Pass`).
/// Batchnorm was folded into the layer before it when the network was loaded, which equals
/// Zennit with its `SequentialMergeBatchNorm` canonizer; one that could not be folded passes
/// relevance through (Zennit's `Pass` for batchnorm). On a graph relevance flows back along
/// every edge: an add splits it among its summands in proportion to their contributions
/// (Zennit's `Norm` on the `Sum` its ResNet canonizers insert), a concat among its parts, and
/// the relevance of an activation read by several layers is the sum of what each returns.
public struct LRP<T: BLASScalar>: Sendable {
    public let network: Network<T>
    public let configuration: LRPConfiguration
    /// What each layer up to the scores does with relevance, in layer order.
    public let layerRules: [LRPLayerRule]
    private let steps: [Step]

    private enum Step: Sendable {
        case affine(AffineRule<T>)
        case bilinear(BilinearShareRule<T>)
        case maxPool(Pool2d)
        case averagePool(Pool2d)
        /// An add: relevance in proportion to each summand (Zennit's `Norm`).
        case sum
        case concat(Merge)
        case permute(Permute)
        /// Each token's relevance is the sum over its vector's.
        case tokens(dimension: Int)
        case pass
    }

    /// `convolutions` chooses how convolutions are multiplied; the results agree to rounding,
    /// and `.patches` exists so that tests can hold the two forms to each other.
    public init(
        network: Network<T>, configuration: LRPConfiguration = LRPConfiguration(),
        convolutions: LRPConvolutionProducts = .fastest
    ) throws {
        let layers = Array(network.layers[0..<network.scoreIndex])
        guard !layers.isEmpty else { throw InterpretError("model '\(network.name)' has no layers to explain") }
        let rules = try configuration.rules(
            for: layers, network: network.name, inputRange: network.input.range, readsTokenIds: !network.tokenTables.isEmpty)
        var steps: [Step] = []
        var described: [LRPLayerRule] = []
        for (i, layer) in layers.enumerated() {
            let step: Step
            let text: String
            switch layer.operation {
            case .linear, .conv2d:
                step = .affine(
                    AffineRule(
                        rule: rules[i]!, map: AffineLayer(layer, convolutions: convolutions)!, stabilizer: configuration.stabilizer,
                        biasAbsorbsRelevance: configuration.biasAbsorbsRelevance))
                text = rules[i]!.description
            case .bilinear(let b):
                step = .bilinear(
                    BilinearShareRule(
                        layer: b, stabilizer: T(configuration.stabilizer),
                        biasAbsorbsRelevance: configuration.biasAbsorbsRelevance))
                text = "quadratic share"
            case .pool(let p) where p.mode == .max:
                step = .maxPool(p)
                text = "to the winner"
            case .pool(let p):
                step = .averagePool(p)
                text = "z-rule (bias-free linear)"
            case .permute(let p):
                step = .permute(p)
                text = "pass (reordered)"
            case .embedding(let e):
                step = .tokens(dimension: e.dimension)
                text = "summed over each token's vector"
            case .flatten, .reshape, .activation:
                step = .pass
                text = "pass"
            case .softmax:
                throw InterpretError("model '\(network.name)': softmax '\(layer.name)' must be the last layer")
            case .layerNorm:
                throw InterpretError(
                    "LRP: model '\(network.name)' has layernorm '\(layer.name)', which no rule here covers yet (Zennit has none either)")
            case .batchNorm:
                // One that could not be folded (on the input, after an add) passes relevance on,
                // as Zennit's composites do with a batchnorm its canonizer did not merge.
                step = .pass
                text = "pass"
            case .merge(.add):
                step = .sum
                text = "in proportion to each summand"
            case .merge(.concat(let sizes)):
                step = .concat(.concat(sizes: sizes))
                text = "split among its parts"
            case .merge:
                throw InterpretError(
                    "LRP: model '\(network.name)' has mul '\(layer.name)' (a gate), which no rule here covers yet")
            }
            steps.append(step)
            described.append(LRPLayerRule(layer: layer.name, kind: layer.operation.kind, rule: text))
        }
        self.network = network
        self.configuration = configuration
        self.layerRules = described
        self.steps = steps
    }

    /// Explains each sample of `x` (one per row) for `target`; `labels` are needed for
    /// `.label` only.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func explain(_ x: Matrix<T>, target: AttributionTarget, labels: [Int]? = nil) throws -> LRPBatch<T> {
        try checkInput(x)
        let trace = forward(x)
        let (directions, classes) = try target.directions(scores: trace.scores, labels: labels)
        return propagate(trace: trace, directions: directions, classes: classes)
    }

    /// Explains u_n·f(x_n) for each sample n, with `directions` one row u_n per sample.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func explain(_ x: Matrix<T>, directions: Matrix<T>) throws -> LRPBatch<T> {
        try checkInput(x)
        guard directions.rows == x.rows, directions.cols == network.layers[network.scoreIndex - 1].outputSize else {
            throw InterpretError(
                "LRP: directions are \(directions.shapeDescription), expected one row of \(network.layers[network.scoreIndex - 1].outputSize) per sample"
            )
        }
        return propagate(trace: forward(x), directions: directions, classes: Array(repeating: nil, count: x.rows))
    }

    private func checkInput(_ x: Matrix<T>) throws {
        guard x.cols == network.inputSize else {
            throw InterpretError(
                "LRP: samples of \(x.cols) values, but model '\(network.name)' expects input \(shapeText(network.input.shape))")
        }
    }

    /// The input and every layer's output up to the scores, with what each layer's relevance
    /// pass reuses from its forward pass.
    private struct Trace {
        var activations: [Matrix<T>]
        var kept: [Kept]
        var scores: Matrix<T> { activations[activations.count - 1] }
    }

    private enum Kept {
        case nothing
        case affine(AffineLayer<T>.Forward)
        /// Each max-pooling window's winner.
        case winners([Int32])
    }

    private func forward(_ x: Matrix<T>) -> Trace {
        var trace = Trace(activations: [x], kept: [])
        for (i, (layer, step)) in zip(network.layers, steps).enumerated() {
            let reads = network.inputIndices(of: i)
            let a = trace.activations[reads[0]]
            switch step {
            case .affine(let rule):
                let (output, kept) = rule.map.forward(a)
                trace.activations.append(output)
                trace.kept.append(.affine(kept))
            case .maxPool(let pool):
                let winners = pool.winners(a)
                trace.activations.append(pool.gather(a, winners: winners))
                trace.kept.append(.winners(winners))
            case .bilinear, .averagePool, .permute, .tokens, .pass:
                trace.activations.append(layer.forward(a))
                trace.kept.append(.nothing)
            case .sum, .concat:
                trace.activations.append(layer.forward(reads.map { trace.activations[$0] }))
                trace.kept.append(.nothing)
            }
        }
        return trace
    }

    /// Walks back from the scores; `relevance[t]` gathers what the layers reading activation t
    /// return to it, complete once every one of them (all later in the order) has run.
    private func propagate(trace: Trace, directions: Matrix<T>, classes: [Int?]) -> LRPBatch<T> {
        let scores = trace.scores
        var relevance = [Matrix<T>?](repeating: nil, count: steps.count + 1)
        relevance[steps.count] = directions.hadamard(scores)
        var totals = Matrix<Double>(rows: scores.rows, cols: steps.count + 1)
        func record(_ r: Matrix<T>?, at column: Int) {
            guard let r else { return }
            for (n, s) in r.rowSumsDouble.enumerated() { totals[n, column] = s }
        }
        for (i, step) in steps.enumerated().reversed() {
            record(relevance[i + 1], at: i + 1)
            // A branch that does not reach the scores receives no relevance.
            guard let r = relevance[i + 1] else { continue }
            relevance[i + 1] = nil
            let reads = network.inputIndices(of: i)
            let a = trace.activations[reads[0]]
            let parts: [Matrix<T>]
            switch (step, trace.kept[i]) {
            case (.affine(let rule), .affine(let kept)): parts = [rule.relevance(input: a, forward: kept, upper: r)]
            case (.bilinear(let rule), _): parts = [rule.relevance(input: a, upper: r)]
            case (.maxPool(let pool), .winners(let winners)): parts = [pool.distribute(r, samples: a.rows, winners: winners)]
            case (.averagePool(let pool), _):
                let q = r.stabilisedQuotient(trace.activations[i + 1], stabilizer: T(configuration.stabilizer))
                parts = [a.hadamard(pool.distribute(q, samples: a.rows, winners: nil))]
            case (.sum, _):
                // R_k = x_k · R / (Σ_j x_j), stabilised as Zennit's Norm rule.
                let q = r.stabilisedQuotient(trace.activations[i + 1], stabilizer: T(configuration.stabilizer))
                parts = reads.map { trace.activations[$0].hadamard(q) }
            case (.concat(let merge), _): parts = merge.backward(inputs: reads.map { trace.activations[$0] }, gradOutput: r)
            case (.permute(let p), _): parts = [p.backward(r)]
            case (.tokens(let d), _):
                parts = [Matrix(rows: a.rows, cols: a.cols, storage: Matrix(rows: r.count / d, cols: d, storage: r.storage).rowSums())]
            case (.pass, _): parts = [r]
            case (.affine, _), (.maxPool, _): preconditionFailure("LRP: the forward pass kept nothing for layer \(i)")
            }
            for (k, t) in reads.enumerated() {
                if relevance[t] == nil { relevance[t] = parts[k] } else { relevance[t]!.add(parts[k]) }
            }
        }
        let r = relevance[0] ?? Matrix(rows: scores.rows, cols: network.inputSize)
        record(r, at: 0)
        return LRPBatch(relevance: r, scores: scores, directions: directions, classes: classes, layerTotals: totals)
    }
}

/// How LRP multiplies by a convolution: `.fastest` runs a convolution on small images as its
/// dense matrix (`Conv2d.unrolled`) and larger ones through im2col patches; `.patches` always
/// uses patches.
public enum LRPConvolutionProducts: Sendable {
    case fastest
    case patches
}

/// What one layer does with relevance, for readouts: `fc1`, `linear`, `epsilon:1e-06`.
public struct LRPLayerRule: Equatable, Sendable, Codable {
    public var layer: String
    public var kind: String
    public var rule: String
}

/// The explanations of a batch.
public struct LRPBatch<T: BLASScalar>: Sendable {
    /// [samples, input size]: the relevance of every input.
    public let relevance: Matrix<T>
    /// The scores the explanation started from (pre-softmax outputs).
    public let scores: Matrix<T>
    /// The explained direction of each sample (one-hot for a class).
    public let directions: Matrix<T>
    /// Each sample's target class; nil for a direction.
    public let classes: [Int?]
    /// [samples, layers up to the scores + 1]: total relevance at the input of each layer, the
    /// last column at the scores (the explained value). Where it drops, biases absorbed. On a
    /// graph column t holds the relevance that flows through activation t (trace index t): all
    /// of it at a cut (`Network.isCut`), a branch's share elsewhere.
    public let layerTotals: Matrix<Double>

    /// The explained value u·f(x) of each sample: the relevance the explanation starts with.
    public var explained: [Double] { layerTotals.column(layerTotals.cols - 1) }
    /// Σ_i R_i of each sample.
    public var relevanceSums: [Double] { layerTotals.column(0) }
    /// Σ_i R_i − u·f(x): zero, up to the stabiliser, without bias absorption and with ε = 0.
    public var conservationErrors: [Double] { zip(relevanceSums, explained).map { $0 - $1 } }
}
