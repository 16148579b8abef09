import LinAlg
import Networks

/// One sample's exact linear interpretation, with everything a view or report shows: the
/// per-class templates A_k(x) (as images where the input is one), the pixel votes A_k ⊙ x, the
/// bias b_k(x) and each layer's part of it, and the residual of f(x) = A(x)·x + b(x).
/// Computed in Float64 on the network converted from Float32, so the residual measures the
/// identity, not Float32 rounding.
public struct LinearInterpretation: Sendable, Codable {
    public var model: String
    public var data: String
    public var sample: Int
    public var label: Int?
    public var inputShape: [Int]
    public var classNames: [String]
    public var input: [Double]
    /// f(x): the scores (pre-softmax) of the Float64 network.
    public var scores: [Double]
    public var predicted: Int
    /// [classes][inputs]: row k of A(x), class k's template.
    public var templates: [[Double]]
    /// [classes][inputs]: A_k(x) ⊙ x; Σ_i votes_ki + bias_k = f_k(x).
    public var votes: [[Double]]
    /// b(x), per class.
    public var bias: [Double]
    /// Each biased layer's share of b(x).
    public var biasShares: [BiasShare]
    /// Σ_i A_ki x_i + b_k − f_k(x), per class.
    public var residuals: [Double]

    public struct BiasShare: Sendable, Codable, Equatable {
        public var layer: String
        public var perClass: [Double]
    }

    public var maxResidual: Double { residuals.map(abs).max() ?? 0 }

    /// [inputs][classes]: column i of A(x), how input i moves every class.
    public var columns: [[Double]] {
        guard let d = templates.first?.count else { return [] }
        return (0..<d).map { i in templates.map { $0[i] } }
    }

    /// Interprets `samples` of `data` (batches of `batchSize`, progress after each).
    public static func compute(
        network: Network<Float>, data: Dataset, samples: [Int], batchSize: Int = 256,
        progress: ProgressHandler? = nil
    ) throws -> [LinearInterpretation] {
        try data.check(against: network)
        try Attribution.checkSamples(samples, in: data)
        let interpreter = try LinearInterpreter(network: network.converted(to: Double.self))
        let biasLayers = interpreter.biasLayers
        var result: [LinearInterpretation] = []
        for start in stride(from: 0, to: samples.count, by: max(batchSize, 1)) {
            let batch = Array(samples[start..<min(start + batchSize, samples.count)])
            let maps = try interpreter.interpret(data.x.rows(batch).converted(to: Double.self))
            let (bias, residuals, predicted) = (maps.bias, maps.residuals, maps.scores.rowArgmax())
            for (n, index) in batch.enumerated() {
                let x = Array(maps.input.row(n))
                let templates = maps.templates(sample: n)
                let rows = (0..<templates.rows).map { Array(templates.row($0)) }
                result.append(
                    LinearInterpretation(
                        model: network.name, data: data.name, sample: index, label: data.labels?[index],
                        inputShape: network.input.shape, classNames: network.classNames, input: x,
                        scores: Array(maps.scores.row(n)), predicted: predicted[n], templates: rows,
                        votes: rows.map { zip($0, x).map(*) }, bias: Array(bias.row(n)),
                        biasShares: zip(biasLayers, maps.biasShares).map { BiasShare(layer: $0, perClass: Array($1.row(n))) },
                        residuals: Array(residuals.row(n))))
            }
            try Attribution.report(
                progress, Double(start + batch.count) / Double(samples.count), "interpreted \(start + batch.count) of \(samples.count)")
        }
        return result
    }
}
