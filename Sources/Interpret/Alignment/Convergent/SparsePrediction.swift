import Foundation
import LinAlg

public struct SparsePredictionOptions: Codable, Equatable, Sendable {
    /// Points on the λ path, spaced evenly in log λ from λ_max down to λ_max · `lambdaRatio`
    /// (glmnet's default ratio when observations are few; below it the fits approach plain
    /// least squares, slowly).
    public var lambdaCount: Int
    public var lambdaRatio: Double
    /// The share of observations held out to choose λ.
    public var validationFraction: Double
    /// Picks the held-out observations.
    public var seed: UInt64

    public init(lambdaCount: Int = 20, lambdaRatio: Double = 1e-2, validationFraction: Double = 0.2, seed: UInt64 = 0) {
        self.lambdaCount = lambdaCount
        self.lambdaRatio = lambdaRatio
        self.validationFraction = validationFraction
        self.seed = seed
    }

    public func validate() throws {
        guard lambdaCount >= 1 else { throw InterpretError("sparse prediction needs at least one λ, got \(lambdaCount)") }
        guard lambdaRatio > 0 && lambdaRatio < 1 else { throw InterpretError("the λ ratio must lie in (0, 1), got \(lambdaRatio)") }
        guard validationFraction > 0 && validationFraction < 1 else {
            throw InterpretError("the validation fraction must lie in (0, 1), got \(validationFraction)")
        }
    }
}

/// One point of the λ path.
public struct LassoPathPoint: Codable, Equatable, Sendable {
    public var lambda: Double
    /// Mean squared error per target in standard units (so 1 − R², about), on the fitting and
    /// on the held-out observations.
    public var trainingMSE: Double
    public var validationMSE: Double
    /// Mean number of units of A each target uses.
    public var meanUnits: Double
}

/// How well each unit of B is predicted by a sparse linear map from the units of A (Li et al.
/// 2016, §4): one L1-regularised regression per unit of B on standardised units of A, along a
/// λ path; λ is chosen by held-out error, and a unit's count of nonzero weights there is the
/// number of units of A it needs.
public struct SparsePrediction: Codable, Equatable, Sendable {
    public var path: [LassoPathPoint]
    /// The index in `path` with the lowest validation error.
    public var chosen: Int
    public var lambda: Double
    /// For each unit of B, how many units of A its prediction uses at the chosen λ (0 for a
    /// constant unit).
    public var unitsNeeded: [Int]
    /// For each unit of B, R² of its prediction on the held-out observations (0 when constant).
    public var validationR2: [Double]
    /// Weights at the chosen λ in standard units: weights[j][i] is unit i of A's share in unit j of B.
    public var weights: [[Double]]
    /// Units of B constant over the fitting observations, which are not predicted.
    public var constantTargets: [Int]
    public var trainingObservations: Int
    public var validationObservations: Int

    /// Fits the path predicting the columns of `b` from the columns of `a` (same observations).
    public static func fit(
        from a: Matrix<Double>, to b: Matrix<Double>, options: SparsePredictionOptions = .init(),
        progress: ProgressHandler? = nil
    ) throws -> SparsePrediction {
        try options.validate()
        guard a.rows == b.rows else {
            throw InterpretError("sparse prediction: \(a.rows) observations of the inputs against \(b.rows) of the targets")
        }
        let n = a.rows
        let held = Int((Double(n) * options.validationFraction).rounded())
        guard held >= 1, n - held >= 3 else {
            throw InterpretError(
                "sparse prediction needs at least 3 fitting and 1 held-out observation; \(n) observations with validation fraction \(options.validationFraction) are too few"
            )
        }
        var rng = SeededRandom(seed: options.seed)
        let order = rng.permutation(n)
        let validationRows = Array(order[..<held]), trainingRows = Array(order[held...])
        let inputs = Standardizer(a.rows(trainingRows))
        let targets = Standardizer(b.rows(trainingRows))
        let xt = inputs.apply(a.rows(trainingRows)), yt = targets.apply(b.rows(trainingRows))
        let xv = inputs.apply(a.rows(validationRows)), yv = targets.apply(b.rows(validationRows))
        let live = (0..<b.cols).filter { targets.scale[$0] > 0 }
        guard !live.isEmpty else { throw InterpretError("sparse prediction: every target unit is constant over the data") }

        let nt = Double(trainingRows.count)
        var g = gram(xt, transpose: true)
        g.scale(by: 1 / nt)
        var c = matmul(xt, yt.columns(live), transposeA: true)
        c.scale(by: 1 / nt)
        let lasso = Lasso(gram: g, cross: c)
        let lambdaMax = max(lasso.lambdaMax, .leastNormalMagnitude)
        let lambdas = (0..<options.lambdaCount).map { k in
            options.lambdaCount == 1
                ? lambdaMax * options.lambdaRatio
                : lambdaMax * Foundation.pow(options.lambdaRatio, Double(k) / Double(options.lambdaCount - 1))
        }
        var path: [LassoPathPoint] = []
        var solutions: [Matrix<Double>] = []
        var w: Matrix<Double>?
        for (k, lambda) in lambdas.enumerated() {
            let solved = lasso.solve(lambda: lambda, start: w)
            w = solved
            solutions.append(solved)
            let nonzero = (0..<solved.rows).map { j in solved.row(j).filter { $0 != 0 }.count }
            path.append(
                LassoPathPoint(
                    lambda: lambda, trainingMSE: meanSquaredError(xt, yt.columns(live), solved),
                    validationMSE: meanSquaredError(xv, yv.columns(live), solved),
                    meanUnits: Double(nonzero.reduce(0, +)) / Double(live.count)))
            if let progress, !progress(Double(k + 1) / Double(lambdas.count), "λ \(k + 1)/\(lambdas.count)") {
                throw CancellationError()
            }
        }
        let chosen = path.indices.min { path[$0].validationMSE < path[$1].validationMSE }!
        let best = solutions[chosen]
        var unitsNeeded = [Int](repeating: 0, count: b.cols)
        var r2 = [Double](repeating: 0, count: b.cols)
        var weights = [[Double]](repeating: [Double](repeating: 0, count: a.cols), count: b.cols)
        let predicted = matmul(xv, best, transposeB: true)
        for (t, j) in live.enumerated() {
            weights[j] = Array(best.row(t))
            unitsNeeded[j] = weights[j].filter { $0 != 0 }.count
            let actual = yv.column(j)
            let mean = actual.reduce(0, +) / Double(actual.count)
            let sse = actual.indices.reduce(0.0) { $0 + pow2(actual[$1] - predicted[$1, t]) }
            let sst = actual.reduce(0.0) { $0 + pow2($1 - mean) }
            r2[j] = sst > 0 ? 1 - sse / sst : 0
        }
        return SparsePrediction(
            path: path, chosen: chosen, lambda: lambdas[chosen], unitsNeeded: unitsNeeded,
            validationR2: r2, weights: weights,
            constantTargets: (0..<b.cols).filter { targets.scale[$0] == 0 },
            trainingObservations: trainingRows.count, validationObservations: held)
    }

    /// Mean over targets and observations of (y − X wᵀ)².
    private static func meanSquaredError(_ x: Matrix<Double>, _ y: Matrix<Double>, _ w: Matrix<Double>) -> Double {
        var residual = y
        gemm(into: &residual, x, w, transposeB: true, alpha: -1, beta: 1)
        return dot(residual.storage, residual.storage) / Double(max(residual.count, 1))
    }

    private static func pow2(_ x: Double) -> Double { x * x }
}

/// Column means and standard deviations of the fitting data, applied to any data; a constant
/// column becomes 0.
struct Standardizer {
    let mean: [Double]
    /// 1/σ per column, 0 for a constant column.
    let scale: [Double]

    init(_ m: Matrix<Double>) {
        mean = m.columnMeans()
        // Exactly constant columns are found directly: their computed σ is rounding noise.
        let constant = Set(m.constantColumns())
        scale = m.columnStandardDeviations().enumerated().map { j, sd in constant.contains(j) || sd == 0 ? 0 : 1 / sd }
    }

    func apply(_ m: Matrix<Double>) -> Matrix<Double> {
        var out = m
        out.addToEachRow(mean.map { -$0 })
        out.scaleColumns(scale)
        return out
    }
}
