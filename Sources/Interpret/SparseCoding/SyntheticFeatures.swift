import Foundation
import LinAlg

/// Synthetic activations with known features (docs/methods.md): `features` unit-norm directions in
/// d dimensions (random, so more features than dimensions are in superposition), each active in a
/// sample independently with probability meanActive / features and a nonnegative magnitude drawn
/// uniformly from [0, 1); x = Σ_i a_i f_i. An SAE that learns the features recovers their
/// directions, which `FeatureRecovery` measures.
public struct SyntheticFeatures: Sendable {
    /// The true directions [features, d], unit rows.
    public let features: Matrix<Float>
    /// The samples [samples, d].
    public let activations: Matrix<Float>
    /// The true coefficients of each sample.
    public let coefficients: SparseCodes<Float>

    public static func generate(
        samples: Int, dimension: Int, features: Int, meanActive: Double,
        seed: UInt64
    ) throws -> SyntheticFeatures {
        guard samples > 0, dimension > 0, features > 0 else {
            throw InterpretError("synthetic features: samples, dimension and features must be positive")
        }
        guard meanActive > 0 && meanActive <= Double(features) else {
            throw InterpretError("synthetic features: the mean number of active features must be in (0, \(features)], got \(meanActive)")
        }
        var rng = SeededRandom(seed: seed)
        var directions: Matrix<Float> = rng.normalMatrix(rows: features, cols: dimension)
        let norms = directions.rowNorms()
        for j in 0..<features { directions.setRow(j, directions.row(j).map { $0 / norms[j] }) }
        let p = meanActive / Double(features)
        var codes = SparseCodes<Float>(width: features)
        var idx = [Int](), val = [Float]()
        for _ in 0..<samples {
            idx.removeAll(keepingCapacity: true)
            val.removeAll(keepingCapacity: true)
            for j in 0..<features where rng.uniform() < p {
                idx.append(j)
                val.append(Float(rng.uniform()))
            }
            codes.append(indices: idx, values: val)
        }
        var x = Matrix<Float>(rows: samples, cols: dimension)
        gemm(into: &x, codes.dense, directions)
        return SyntheticFeatures(features: directions, activations: x, coefficients: codes)
    }
}

/// How well learned directions recover known ones.
public struct FeatureRecovery: Codable, Sendable, Equatable {
    /// Mean over true features of the largest cosine similarity with any learned direction (MMCS).
    public var meanMaxCosine: Double
    /// For each true feature, that largest cosine.
    public var maxCosine: [Double]
    /// Fraction of true features with a learned direction at cosine ≥ 0.9.
    public var recoveredFraction: Double

    /// Compares true directions [n, d] with learned ones [m, d] (e.g. the decoder rows).
    public init(truth: Matrix<Float>, learned: Matrix<Float>) throws {
        guard truth.cols == learned.cols else {
            throw InterpretError("feature recovery: true features have \(truth.cols) dimensions, the learned ones \(learned.cols)")
        }
        let cosines = rowCosines(truth, learned)
        maxCosine = (0..<cosines.rows).map { cosines.row($0).max() ?? 0 }
        meanMaxCosine = maxCosine.reduce(0, +) / Double(max(maxCosine.count, 1))
        recoveredFraction = Double(maxCosine.filter { $0 >= 0.9 }.count) / Double(max(maxCosine.count, 1))
    }
}
