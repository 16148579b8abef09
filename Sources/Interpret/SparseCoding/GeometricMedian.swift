import LinAlg

/// The geometric median of the rows of x, argmin_y Σ_i ‖x_i − y‖, by Weiszfeld's iteration
/// (y ← Σ w_i x_i / Σ w_i with w_i = 1/‖x_i − y‖) from the mean, in Float64. SAEs start b_dec
/// here (Bricken et al. 2023): unlike the mean it is not pulled about by a few large samples.
public func geometricMedian(_ x: Matrix<Double>, maxIterations: Int = 200, tolerance: Double = 1e-7) -> [Double] {
    precondition(x.rows > 0, "geometricMedian: no samples")
    var y = x.columnMeans()
    // Distances below this count as "at a sample": Weiszfeld's weight would be infinite there.
    let scale = x.rowNorms().max() ?? 0
    let floor = max(scale, 1) * 1e-12
    for _ in 0..<maxIterations {
        var diff = x
        diff.addToEachRow(y.map { -$0 })
        let weights = diff.rowNorms().map { 1 / max($0, floor) }
        let total = weights.reduce(0, +)
        let next = matvec(x, weights, transpose: true).map { $0 / total }
        let step = zip(next, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        y = next
        if step <= tolerance * max(scale, 1) { break }
    }
    return y
}
