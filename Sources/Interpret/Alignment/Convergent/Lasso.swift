import LinAlg

/// L1-regularised least squares for many targets that share their inputs:
///
///     minimise over w_j   (1/2n)‖y_j − X w_j‖² + λ‖w_j‖₁      for every target j,
///
/// by cyclic coordinate descent with covariance updates (Friedman, Hastie & Tibshirani 2010,
/// "Regularization paths for generalized linear models via coordinate descent"): the data
/// enter only through G = XᵀX/n and C = XᵀY/n of centred X and Y, and each target keeps
/// g = G w up to date so a coordinate step costs one column of G. Sweeps alternate between
/// all coordinates and the nonzero ones, and stop as glmnet does: when no coordinate step
/// lowers the objective by more than `tolerance` (G_kk δ² for a move δ; the targets are in
/// standard units, so this is relative to their variance).
public struct Lasso: Sendable {
    /// XᵀX/n, p × p.
    public let gram: Matrix<Double>
    /// XᵀY/n, p × q (a column per target).
    public let cross: Matrix<Double>
    /// Converged when max_k G_kk δ_k² over a full sweep is below this (glmnet's `thresh`).
    public var tolerance = 1e-7
    public var maximumSweeps = 1000

    public init(gram: Matrix<Double>, cross: Matrix<Double>) {
        precondition(
            gram.rows == gram.cols && cross.rows == gram.rows,
            "Lasso: gram \(gram.shapeDescription) and cross \(cross.shapeDescription) do not fit")
        self.gram = gram
        self.cross = cross
    }

    /// The smallest λ at which every weight is zero: max |C_kj|.
    public var lambdaMax: Double { cross.maxAbs() }

    /// The weights at `lambda` as a q × p matrix (row j for target j), starting from `start`
    /// (the solution at a nearby λ, along a path).
    public func solve(lambda: Double, start: Matrix<Double>? = nil) -> Matrix<Double> {
        let (p, q) = (gram.rows, cross.cols)
        var weights = start ?? Matrix(rows: q, cols: p)
        precondition(weights.rows == q && weights.cols == p, "Lasso.solve: start is \(weights.shapeDescription), expected \(q)×\(p)")
        for j in 0..<q {
            var w = Array(weights.row(j))
            solveTarget(j, lambda: lambda, weights: &w)
            weights.setRow(j, w)
        }
        return weights
    }

    private func solveTarget(_ j: Int, lambda: Double, weights w: inout [Double]) {
        let p = gram.rows
        var g = matvec(gram, w)
        let c = cross.column(j)
        gram.withUnsafeBufferPointer { gp in
            // One coordinate step; returns G_kk δ², the size of the move.
            func step(_ k: Int) -> Double {
                let gkk = gp[k * p + k]
                guard gkk > 0 else { return 0 }
                let rho = c[k] - g[k] + gkk * w[k]
                let updated = rho > lambda ? (rho - lambda) / gkk : rho < -lambda ? (rho + lambda) / gkk : 0
                let delta = updated - w[k]
                guard delta != 0 else { return 0 }
                w[k] = updated
                // g += δ·G[:, k]; G is symmetric, so its row k is that column.
                for i in 0..<p { g[i] += delta * gp[k * p + i] }
                return gkk * delta * delta
            }
            var sweeps = 0
            while sweeps < maximumSweeps {
                var moved = 0.0
                for k in 0..<p { moved = max(moved, step(k)) }
                sweeps += 1
                if moved < tolerance { break }
                // Settle the active set before looking at every coordinate again.
                let active = (0..<p).filter { w[$0] != 0 }
                while sweeps < maximumSweeps {
                    var movedActive = 0.0
                    for k in active { movedActive = max(movedActive, step(k)) }
                    sweeps += 1
                    if movedActive < tolerance { break }
                }
            }
        }
    }
}
