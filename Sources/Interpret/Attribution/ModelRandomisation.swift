import LinAlg
import Networks

/// Which layers a stage of the model-randomisation check re-initialises.
public enum RandomisationOrder: String, Codable, CaseIterable, Sendable {
    /// Stage k re-initialises the k layers with parameters nearest the output (Adebayo et al.'s
    /// cascading randomisation): the output layer first, then also the one below, and so on.
    case cascading
    /// Stage k re-initialises only the k-th layer from the output, the others keep their weights.
    case independent
}

/// The settings of the model-randomisation check; the defaults of every front end.
public struct ModelRandomisationOptions: Equatable, Sendable, Codable {
    /// Seed of the fresh parameters (`Network.initializeParameters(seed:)`).
    public var seed: UInt64
    /// The check runs over the data's first `samples` samples (all of them if it has fewer).
    public var samples: Int
    public var configuration: LRPConfiguration
    /// What is explained, chosen on the trained model and kept for every randomised one, so that
    /// each stage explains the same output.
    public var target: AttributionTarget
    public var order: RandomisationOrder
    public var batchSize: Int

    public init(
        seed: UInt64 = 1, samples: Int = 100, configuration: LRPConfiguration = LRPConfiguration(),
        target: AttributionTarget = .predicted, order: RandomisationOrder = .cascading, batchSize: Int = 256
    ) {
        self.seed = seed
        self.samples = samples
        self.configuration = configuration
        self.target = target
        self.order = order
        self.batchSize = batchSize
    }
}

/// One stage of the check: which layers were re-initialised, and how the relevance maps of the
/// model so randomised rank-correlate with the trained model's, sample by sample.
public struct RandomisationStage: Codable, Equatable, Sendable {
    /// The layers re-initialised at this stage, from the output down; none at stage 0.
    public var randomisedLayers: [String]
    /// The layer this stage adds to the randomised ones (cascading) or randomises alone
    /// (independent); nil at stage 0.
    public var layer: String?
    /// Spearman's ρ between the trained and the randomised map, per sample.
    public var spearman: [Double]
    /// Spearman's ρ between |R| of the two maps, per sample.
    public var absoluteSpearman: [Double]
    public var meanSpearman: Double
    /// Sample standard deviation over the samples (0 for one sample).
    public var spearmanStd: Double
    public var meanAbsoluteSpearman: Double
    public var absoluteSpearmanStd: Double

    init(randomisedLayers: [String], layer: String?, spearman: [Double], absoluteSpearman: [Double]) {
        self.randomisedLayers = randomisedLayers
        self.layer = layer
        self.spearman = spearman
        self.absoluteSpearman = absoluteSpearman
        (meanSpearman, spearmanStd) = Self.meanAndStd(spearman)
        (meanAbsoluteSpearman, absoluteSpearmanStd) = Self.meanAndStd(absoluteSpearman)
    }

    static func meanAndStd(_ v: [Double]) -> (Double, Double) {
        let mean = v.reduce(0, +) / Double(v.count)
        guard v.count > 1 else { return (mean, 0) }
        return (mean, (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot())
    }
}

/// The model-randomisation sanity check (Adebayo et al. 2018, docs/methods.md): LRP maps of the
/// trained model against those of the same architecture with layers re-initialised, stage by
/// stage from the output down, compared by Spearman's rank correlation per sample. Maps that
/// stay alike while the weights they should explain are destroyed do not explain the model.
public struct ModelRandomisationResult: Codable, Sendable {
    public var model: String
    public var data: String
    public var options: ModelRandomisationOptions
    /// The samples compared, as indices into the data.
    public var samples: [Int]
    /// Each sample's explained class (chosen on the trained model; nil for a direction).
    public var classes: [Int?]
    /// Stage 0 (nothing randomised), then one stage per layer with parameters, from the output down.
    public var stages: [RandomisationStage]
}

/// The trained model and its randomised copies, one per stage, each with its LRP.
public struct ModelRandomisation: Sendable {
    public let network: Network<Float>
    public let options: ModelRandomisationOptions
    /// The layers re-initialised at each stage (stage 0: none) and the one each stage adds.
    public let stages: [(randomised: [String], layer: String?)]
    private let explainers: [LRP<Float>]

    public init(network: Network<Float>, options: ModelRandomisationOptions = ModelRandomisationOptions()) throws {
        let scoreIndex = network.scoreIndex
        // Layers past the scores (a final softmax) take no part in an explanation.
        let topDown = network.layers[0..<scoreIndex].indices.reversed().filter { !network.layers[$0].parameters.isEmpty }
        guard !topDown.isEmpty else { throw InterpretError("model '\(network.name)' has no layer with parameters to randomise") }
        // Every stage takes a layer's fresh parameters from one re-initialised copy, so a layer
        // randomised at several stages (cascading) has the same parameters at each.
        var fresh = network
        fresh.initializeParameters(seed: options.seed)
        var networks = [network]
        var stages: [(randomised: [String], layer: String?)] = [([], nil)]
        for (k, i) in topDown.enumerated() {
            let randomised = options.order == .cascading ? Array(topDown[...k]) : [i]
            var copy = network
            for j in randomised { copy.layers[j] = fresh.layers[j] }
            networks.append(copy)
            stages.append((randomised.map { network.layers[$0].name }, network.layers[i].name))
        }
        self.network = network
        self.options = options
        self.stages = stages
        explainers = try networks.map { try LRP(network: $0, configuration: options.configuration) }
    }

    /// The relevance maps of `x` at every stage, one matrix per stage, each explaining the
    /// target the trained model gives (`labels` for `.label` only).
    public func maps(_ x: Matrix<Float>, labels: [Int]? = nil) throws -> (maps: [Matrix<Float>], classes: [Int?]) {
        let (directions, classes) = try options.target.directions(scores: network.scores(x), labels: labels)
        return (try explainers.map { try $0.explain(x, directions: directions).relevance }, classes)
    }

    /// The maps of one sample of `data` at every stage.
    public func maps(of sample: Int, in data: Dataset) throws -> [[Float]] {
        try data.check(against: network)
        try Attribution.checkSamples([sample], in: data)
        return try maps(data.x.rows([sample]), labels: data.labels.map { [$0[sample]] }).maps.map { Array($0.row(0)) }
    }

    /// Runs the check over the first `options.samples` samples of `data`, in batches.
    public func compute(data: Dataset, progress: ProgressHandler? = nil) throws -> ModelRandomisationResult {
        try data.check(against: network)
        guard options.samples >= 1, options.batchSize >= 1 else {
            throw InterpretError("model randomisation needs at least one sample and a positive batch size")
        }
        let samples = Array(0..<min(options.samples, data.count))
        try Attribution.checkSamples(samples, in: data)
        var spearman = [[Double]](repeating: [], count: stages.count)
        var absolute = spearman
        var classes: [Int?] = []
        for start in stride(from: 0, to: samples.count, by: options.batchSize) {
            let batch = Array(samples[start..<min(start + options.batchSize, samples.count)])
            let (maps, batchClasses) = try maps(data.x.rows(batch), labels: data.labels.map { l in batch.map { l[$0] } })
            classes += batchClasses
            let trained = maps[0].converted(to: Double.self)
            let trainedAbsolute = trained.map(abs)
            for (s, map) in maps.enumerated() {
                let randomised = map.converted(to: Double.self)
                spearman[s] += rowSpearmanCorrelations(trained, randomised)
                absolute[s] += rowSpearmanCorrelations(trainedAbsolute, randomised.map(abs))
            }
            try Attribution.report(
                progress, Double(start + batch.count) / Double(samples.count),
                "compared \(start + batch.count) of \(samples.count) samples")
        }
        return ModelRandomisationResult(
            model: network.name, data: data.name, options: options, samples: samples, classes: classes,
            stages: stages.indices.map {
                RandomisationStage(
                    randomisedLayers: stages[$0].randomised, layer: stages[$0].layer, spearman: spearman[$0],
                    absoluteSpearman: absolute[$0])
            })
    }
}
