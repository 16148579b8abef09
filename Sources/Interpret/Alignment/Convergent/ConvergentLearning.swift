import LinAlg
import Networks

public struct ConvergentOptions: Codable, Equatable, Sendable {
    public enum Method: String, Codable, CaseIterable, Sendable { case bipartite, semi, sparse, spectral }
    /// The analyses to run. The correlation matrix and both matchings are always computed
    /// (they are cheap and give the aligned order); `sparse` and `spectral` only when listed.
    public var methods: [Method]
    /// Spectral clusters; nil chooses by the largest eigengap.
    public var clusters: Int?
    public var sparse: SparsePredictionOptions
    /// Shuffles of the permutation null of both matchings' mean correlation (0: none).
    public var permutations: Int
    /// Seeds the held-out split of sparse prediction, the k-means of spectral clustering and
    /// the shuffles.
    public var seed: UInt64

    public init(
        methods: [Method] = [.bipartite, .semi], clusters: Int? = nil,
        sparse: SparsePredictionOptions = .init(), permutations: Int = 0, seed: UInt64 = 0
    ) {
        self.methods = methods
        self.clusters = clusters
        self.sparse = sparse
        self.permutations = permutations
        self.seed = seed
    }
}

/// Everything convergent learning shows about one layer of A against one layer of B.
public struct ConvergentLearningResult: Codable, Equatable, Sendable {
    public var modelA: String
    public var modelB: String
    public var data: String
    public var correlation: UnitCorrelation
    public var bipartite: UnitMatching
    public var semi: UnitMatching
    /// The correlation matrix with B's units in the bipartite matching's order.
    public var alignedMatrix: [[Double]]
    public var sparse: SparsePrediction?
    public var spectral: UnitClustering?
}

/// Convergent learning (Li, Yosinski, Clune, Lipson & Hopcroft 2016): do two networks learn the
/// same units? Fully connected layers compare units over samples; convolutional layers compare
/// channels over samples and positions.
public enum ConvergentLearning {
    /// Compares layer `layerA` of `a` with layer `layerB` of `b` on `data`.
    public static func compare(
        _ a: Network<Float>, _ b: Network<Float>, data: Dataset, layerA: String, layerB: String,
        options: ConvergentOptions = .init(), progress: ProgressHandler? = nil
    ) throws -> ConvergentLearningResult {
        let shapeA = try a.shape(of: layerA), shapeB = try b.shape(of: layerB)
        guard (shapeA.count == 3) == (shapeB.count == 3), shapeA.count != 3 || shapeA[1...] == shapeB[1...] else {
            throw InterpretError(
                "'\(layerA)' \(shapeText(shapeA)) and '\(layerB)' \(shapeText(shapeB)) cannot be compared unit by unit: both must be flat, or channels over the same positions"
            )
        }
        if let progress, !progress(0, "activations") { throw CancellationError() }
        let actsA = try LayerActivations.collect(a, data.x, layers: [layerA])[0]
        let actsB = try LayerActivations.collect(b, data.x, layers: [layerB])[0]
        var result = try compare(
            units: LayerActivations.units(actsA, shape: shapeA).converted(to: Double.self),
            LayerActivations.units(actsB, shape: shapeB).converted(to: Double.self),
            layerA: layerA, layerB: layerB, positions: shapeA.count == 3 ? shapeA[1] * shapeA[2] : 1, options: options,
            progress: progress)
        result.modelA = a.name
        result.modelB = b.name
        result.data = data.name
        return result
    }

    /// Compares two sets of units observed on the same rows (activations from anywhere): each
    /// sample gives `positions` consecutive rows (a convolutional layer's positions, sample-major).
    public static func compare(
        units a: Matrix<Double>, _ b: Matrix<Double>, layerA: String, layerB: String, positions: Int = 1,
        options: ConvergentOptions = .init(), progress: ProgressHandler? = nil
    ) throws -> ConvergentLearningResult {
        try PermutationNull.validate(permutations: options.permutations)
        let correlation = try UnitCorrelation(a, b, layerA: layerA, layerB: layerB)
        var bipartite = try UnitMatching.bipartite(correlation)
        var semi = UnitMatching.semi(correlation)
        if options.permutations > 0 {
            // Whole samples are shuffled, positions kept together: the rows of one sample are
            // not exchangeable with each other's.
            let samples = a.rows / positions
            let nulls = try PermutationNull.test(
                observed: [bipartite.meanCorrelation, semi.meanCorrelation], samples: samples,
                permutations: options.permutations, seed: options.seed, progress: progress
            ) { order in
                let rows = order.flatMap { s in (s * positions)..<((s + 1) * positions) }
                let shuffled = try UnitCorrelation(a, b.rows(rows), layerA: layerA, layerB: layerB)
                return [try UnitMatching.bipartite(shuffled).meanCorrelation, UnitMatching.semi(shuffled).meanCorrelation]
            }
            (bipartite.null, semi.null) = (nulls[0], nulls[1])
        }
        var result = ConvergentLearningResult(
            modelA: "", modelB: "", data: "", correlation: correlation, bipartite: bipartite, semi: semi,
            alignedMatrix: correlation.reordered(columns: bipartite.columnOrder))
        if options.methods.contains(.sparse) {
            var sparse = options.sparse
            sparse.seed = options.seed
            result.sparse = try SparsePrediction.fit(from: a, to: b, options: sparse) { fraction, status in
                progress?(fraction, "sparse prediction: \(status)") ?? true
            }
        }
        if options.methods.contains(.spectral) {
            if let progress, !progress(1, "spectral clustering") { throw CancellationError() }
            result.spectral = try UnitClustering.compute(
                a, b, liveA: correlation.liveUnitsA, liveB: correlation.liveUnitsB,
                clusters: options.clusters, seed: options.seed)
        }
        return result
    }
}
