/// Column statistics of a samples × features matrix. Anything that accumulates over many
/// samples is computed in Float64 (docs/design.md); callers convert Float32 activations first.
extension Matrix {
    /// Each channel's mean and (biased) variance over all rows and its `positions` columns, for
    /// rows that hold `channels` blocks of `positions` values (C·H·W activations), in Float64.
    public func channelStatistics(channels: Int, positions: Int) -> (mean: [Double], variance: [Double]) {
        let m = Double(rows * positions)
        let mean = channelSums(channels: channels, positions: positions).map { $0 / m }
        let squares = hadamard(self).channelSums(channels: channels, positions: positions)
        return (mean, zip(squares, mean).map { Swift.max(0, $0 / m - $1 * $1) })
    }

    /// Each channel's sum over all rows and its `positions` columns, in Float64.
    public func channelSums(channels: Int, positions: Int) -> [Double] {
        precondition(cols == channels * positions, "Matrix.channelSums: \(cols) columns are not \(channels) × \(positions)")
        let sums = columnSums()
        return (0..<channels).map { c in sums[(c * positions)..<((c + 1) * positions)].reduce(0.0) { $0 + Double($1) } }
    }

    /// Each column minus its mean.
    public func centered() -> Matrix {
        var out = self
        out.addToEachRow(columnMeans().map { -$0 })
        return out
    }

    /// Sample standard deviation of each column (divisor n − 1; 0 for fewer than two rows).
    public func columnStandardDeviations() -> [T] {
        guard rows > 1 else { return [T](repeating: 0, count: cols) }
        let c = centered()
        var ss = [T](repeating: 0, count: cols)
        for r in 0..<rows { for (j, v) in c.row(r).enumerated() { ss[j] += v * v } }
        return ss.map { ($0 / T(rows - 1)).squareRoot() }
    }

    /// The cols × cols sample covariance (divisor n − 1).
    public func covariance() -> Matrix {
        precondition(rows > 1, "covariance needs at least two samples, got \(rows)")
        var g = gram(centered(), transpose: true)
        g.scale(by: 1 / T(rows - 1))
        return g
    }

    /// The cols × cols Pearson correlation. A constant column has no defined correlation;
    /// its row and column are 0 (and its diagonal entry too), so callers can spot it.
    public func correlation() -> Matrix {
        let cov = covariance()
        let sd = (0..<cols).map { cov[$0, $0].squareRoot() }
        return Matrix(rows: cols, cols: cols) { i, j in
            sd[i] > 0 && sd[j] > 0 ? cov[i, j] / (sd[i] * sd[j]) : 0
        }
    }
}

/// Pearson correlation between the columns of X (n × p) and those of Y (n × q): a p × q matrix.
/// Constant columns give 0.
public func crossCorrelation(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == y.rows, "crossCorrelation: \(x.rows) samples against \(y.rows)")
    precondition(x.rows > 1, "crossCorrelation needs at least two samples, got \(x.rows)")
    func standardized(_ m: Matrix<Double>) -> Matrix<Double> {
        var c = m.centered()
        let norms = (0..<m.cols).map { j -> Double in
            var s = 0.0
            for r in 0..<c.rows { s += c[r, j] * c[r, j] }
            return s.squareRoot()
        }
        c.scaleColumns(norms.map { $0 > 0 ? 1 / $0 : 0 })
        return c
    }
    return matmul(standardized(x), standardized(y), transposeA: true)
}

/// Mean and population variance of a sequence, in one pass (Welford), for streams.
public struct RunningMoments: Sendable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0
    public init() {}
    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }
    public var variance: Double { count > 0 ? m2 / Double(count) : 0 }
    public var standardDeviation: Double { variance.squareRoot() }
}

/// The rank of each value among `values`, from 1, values that tie sharing the mean of the ranks
/// they span (scipy.stats.rankdata's "average"): [10, 20, 20, 5] → [2, 3.5, 3.5, 1].
public func averageRanks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
        // Sorted positions start..<end hold one value: ranks start + 1 … end, whose mean this is.
        let rank = Double(start + 1 + end) / 2
        for k in start..<end { ranks[order[k]] = rank }
        start = end
    }
    return ranks
}

/// Spearman's rank correlation of each row of `a` with the same row of `b`: the Pearson
/// correlation of their average ranks (`averageRanks`), as scipy.stats.spearmanr computes it.
/// A row whose values are all equal has no defined correlation and gives 0 (as `correlation()`
/// does for a constant column).
public func rowSpearmanCorrelations(_ a: Matrix<Double>, _ b: Matrix<Double>) -> [Double] {
    precondition(a.rows == b.rows && a.cols == b.cols, "rowSpearmanCorrelations: \(a.shapeDescription) against \(b.shapeDescription)")
    // The average ranks of n values sum to n(n + 1)/2 whatever the ties, so every ranked row has
    // mean (n + 1)/2 and is centred by subtracting it.
    let mean = Double(a.cols + 1) / 2
    func centredRanks(_ m: Matrix<Double>) -> Matrix<Double> {
        Matrix(rows: m.rows, cols: m.cols, storage: (0..<m.rows).flatMap { averageRanks(Array(m.row($0))).map { $0 - mean } })
    }
    let (ra, rb) = (centredRanks(a), centredRanks(b))
    let cross = ra.hadamard(rb).rowSums(), va = ra.hadamard(ra).rowSums(), vb = rb.hadamard(rb).rowSums()
    return (0..<a.rows).map { va[$0] > 0 && vb[$0] > 0 ? cross[$0] / (va[$0] * vb[$0]).squareRoot() : 0 }
}

/// Spearman's rank correlation of two equally long sequences (see `rowSpearmanCorrelations`).
public func spearmanCorrelation(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "spearmanCorrelation: \(x.count) values against \(y.count)")
    return rowSpearmanCorrelations(Matrix(row: x), Matrix(row: y))[0]
}
