import LinAlg
import Networks

/// LRP explanations of chosen samples of a data set, with every figure a readout, report or
/// view shows: the relevance maps, what was explained, and the conservation check.
public struct LRPExplanation: Codable, Sendable {
    public var model: String
    public var data: String
    public var configuration: LRPConfiguration
    /// What each layer did with relevance.
    public var layerRules: [LRPLayerRule]
    public var target: AttributionTarget
    /// One sample's shape; each relevance map has this shape, flattened in C·H·W order.
    public var inputShape: [Int]
    public var classNames: [String]
    /// The explained samples, as indices into the data.
    public var samples: [Int]
    public var labels: [Int]?
    public var predicted: [Int]
    /// Each sample's target class (nil for a direction).
    public var classes: [Int?]
    /// The value each explanation starts from, u·f(x).
    public var explained: [Double]
    /// Σ_i R_i per sample.
    public var relevanceSums: [Double]
    /// Σ_i R_i − u·f(x) per sample.
    public var conservationErrors: [Double]
    /// Per sample, the total relevance at the input of each layer (see `layerRules`), then at the scores.
    public var layerTotals: [[Double]]
    /// Per sample, the relevance of every input.
    public var relevance: [[Float]]

    /// Explains `samples` of `data` in batches of `batchSize` (progress after each batch).
    public static func compute(
        network: Network<Float>, data: Dataset, samples: [Int], configuration: LRPConfiguration,
        target: AttributionTarget = .predicted, batchSize: Int = 256,
        progress: ProgressHandler? = nil
    ) throws -> LRPExplanation {
        try data.check(against: network)
        try Attribution.checkSamples(samples, in: data)
        let lrp = try LRP(network: network, configuration: configuration)
        var result = LRPExplanation(
            model: network.name, data: data.name, configuration: configuration, layerRules: lrp.layerRules,
            target: target, inputShape: network.input.shape, classNames: network.classNames,
            samples: samples, labels: data.labels.map { l in samples.map { l[$0] } }, predicted: [],
            classes: [], explained: [], relevanceSums: [], conservationErrors: [], layerTotals: [], relevance: [])
        for start in stride(from: 0, to: samples.count, by: max(batchSize, 1)) {
            let batch = Array(samples[start..<min(start + batchSize, samples.count)])
            let explanation = try lrp.explain(data.x.rows(batch), target: target, labels: data.labels.map { l in batch.map { l[$0] } })
            result.predicted += explanation.scores.rowArgmax()
            result.classes += explanation.classes
            result.explained += explanation.explained
            result.relevanceSums += explanation.relevanceSums
            result.conservationErrors += explanation.conservationErrors
            result.layerTotals += (0..<batch.count).map { Array(explanation.layerTotals.row($0)) }
            result.relevance += (0..<batch.count).map { Array(explanation.relevance.row($0)) }
            try Attribution.report(
                progress, Double(start + batch.count) / Double(samples.count), "explained \(start + batch.count) of \(samples.count)")
        }
        return result
    }

    /// The largest |Σ_i R_i − u·f(x)| over the samples.
    public var maxConservationError: Double { conservationErrors.map(abs).max() ?? 0 }

    /// Mean |R| of every input over the samples of each target class: [classes][inputs]
    /// (zeros for a class no sample targets), and how many samples each mean is over.
    public func meanAbsoluteRelevanceByClass() -> (means: [[Double]], counts: [Int]) {
        let d = relevance.first?.count ?? 0
        var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: classNames.count)
        var counts = [Int](repeating: 0, count: classNames.count)
        for (map, c) in zip(relevance, classes) {
            guard let c else { continue }
            counts[c] += 1
            for i in 0..<d { sums[c][i] += Double(abs(map[i])) }
        }
        return (zip(sums, counts).map { s, n in n == 0 ? s : s.map { $0 / Double(n) } }, counts)
    }
}

/// Checks shared by the attribution entry points.
public enum Attribution {
    /// Refuses sample indices outside the data.
    public static func checkSamples(_ samples: [Int], in data: Dataset) throws {
        guard !samples.isEmpty else { throw InterpretError("no samples chosen from '\(data.name)'") }
        if let bad = samples.first(where: { $0 < 0 || $0 >= data.count }) {
            throw InterpretError("sample \(bad): data '\(data.name)' has samples 0…\(data.count - 1)")
        }
    }

    /// Calls a progress handler; a false answer cancels the work.
    static func report(_ progress: ProgressHandler?, _ fraction: Double, _ status: String) throws {
        if let progress, !progress(fraction, status) { throw CancellationError() }
    }
}
