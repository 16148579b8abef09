import LinAlg

/// One representation of n samples, prepared so that its HSIC with another representation of
/// the same samples is one cheap product. HSIC is estimated either with the biased estimator,
/// tr(K̃ L̃)/(n − 1)² with K̃ = HKH, or with the unbiased one of Song et al. (2007),
/// ⟨K̃ᵤ, L̃ᵤ⟩/(n(n − 3)) with K̃ᵤ the U-centred Gram matrix (Székely & Rizzo 2014).
protocol HSICOperand {
    func hsic(with other: Self) -> Double
    func selfHSIC() -> Double
    /// The same representation with its samples in `order` (sample i becomes sample order[i]),
    /// for the permutation null: centring commutes with a permutation, so nothing is recomputed.
    func permuted(_ order: [Int]) -> Self
}

/// A centred Gram matrix: works for any kernel, costs n² memory.
struct CenteredGram: HSICOperand {
    let centered: Matrix<Double>
    /// 1/(n − 1)² or 1/(n(n − 3)).
    let scale: Double

    private init(centered: Matrix<Double>, scale: Double) {
        self.centered = centered
        self.scale = scale
    }

    init(gram k: Matrix<Double>, unbiased: Bool) {
        let n = k.rows
        var g = k
        var means = [Double](repeating: 0, count: n)
        g.withUnsafeMutableBufferPointer { p in
            if unbiased {
                // U-centring: zero diagonal, row means over n − 2, corrected by their total.
                for i in 0..<n { p[i * n + i] = 0 }
                for i in 0..<n { for j in 0..<n { means[j] += p[i * n + j] } }
                for j in 0..<n { means[j] /= Double(n - 2) }
                let correction = means.reduce(0, +) / Double(2 * (n - 1))
                for j in 0..<n { means[j] -= correction }
            } else {
                // Double centring HKH: subtract row and column means, add back the grand mean.
                for i in 0..<n { for j in 0..<n { means[j] += p[i * n + j] } }
                for j in 0..<n { means[j] /= Double(n) }
                let correction = means.reduce(0, +) / Double(2 * n)
                for j in 0..<n { means[j] -= correction }
            }
            for i in 0..<n { for j in 0..<n { p[i * n + j] -= means[i] + means[j] } }
            if unbiased { for i in 0..<n { p[i * n + i] = 0 } }
        }
        centered = g
        scale = unbiased ? 1 / (Double(n) * Double(n - 3)) : 1 / (Double(n - 1) * Double(n - 1))
    }

    func hsic(with other: CenteredGram) -> Double { dot(centered.storage, other.centered.storage) * scale }
    func selfHSIC() -> Double { hsic(with: self) }

    func permuted(_ order: [Int]) -> CenteredGram {
        let n = centered.rows
        var g = Matrix<Double>(unsetRows: n, cols: n)
        centered.withUnsafeBufferPointer { src in
            g.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let from = src.baseAddress! + order[i] * n
                    let to = dst.baseAddress! + i * n
                    for j in 0..<n { to[j] = from[order[j]] }
                }
            }
        }
        return CenteredGram(centered: g, scale: scale)
    }
}

/// Column-centred features for the linear kernel: ⟨XXᵀ, YYᵀ⟩ = ‖XᵀY‖²_F, so nothing n × n
/// is formed. The unbiased form is the feature-space estimator of the reference demo
/// (`feature_space_linear_cka(debiased=True)`), equal to ⟨K̃ᵤ, L̃ᵤ⟩.
///
/// The means and every sum are Float64. The features are kept as given, with their column
/// means: the products centre them a block of rows at a time (`TallProducts`), in the input's
/// scalar, so Float32 activations are multiplied in Float32 rather than widened, and no centred
/// copy of the data is made.
struct CenteredFeatures<T: BLASScalar>: HSICOperand {
    let features: Matrix<T>
    let means: [Double]
    let unbiased: Bool
    /// ‖x̃_i‖² for each sample, and their sum (the unbiased estimator's corrections; empty for
    /// the biased one).
    let rowSquaredNorms: [Double]
    let squaredNorm: Double

    /// Nil when `x` holds NaN or infinity (a column sum that is not finite).
    init?(_ x: Matrix<T>, unbiased: Bool) {
        let (n, d) = (x.rows, x.cols)
        // Loops over row pointers, so that they vectorise.
        var means = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { p in
            means.withUnsafeMutableBufferPointer { m in
                guard n > 0, d > 0 else { return }
                let pm = m.baseAddress!
                for r in 0..<n {
                    let row = p.baseAddress! + r * d
                    for c in 0..<d { pm[c] += Double(row[c]) }
                }
            }
        }
        // Float32 values cannot overflow a Float64 sum; Float64 ones that do are refused too.
        guard means.allSatisfy({ $0.isFinite }) else { return nil }
        for c in 0..<d { means[c] /= Double(n) }
        features = x
        self.means = means
        self.unbiased = unbiased
        // ‖x̃_i‖² of the centred values as the products see them (rounded to T).
        rowSquaredNorms =
            unbiased
            ? x.withUnsafeBufferPointer { p in
                means.withUnsafeBufferPointer { m in
                    (0..<n).map { r in
                        let row = p.baseAddress! + r * d
                        var s = 0.0
                        for c in 0..<d {
                            let v = Double(T(Double(row[c]) - m[c]))
                            s += v * v
                        }
                        return s
                    }
                }
            }
            : []
        squaredNorm = rowSquaredNorms.reduce(0, +)
    }

    private init(features: Matrix<T>, means: [Double], unbiased: Bool, rowSquaredNorms: [Double], squaredNorm: Double) {
        self.features = features
        self.means = means
        self.unbiased = unbiased
        self.rowSquaredNorms = rowSquaredNorms
        self.squaredNorm = squaredNorm
    }

    func permuted(_ order: [Int]) -> CenteredFeatures {
        CenteredFeatures(
            features: features.rows(order), means: means, unbiased: unbiased,
            rowSquaredNorms: rowSquaredNorms.isEmpty ? [] : order.map { rowSquaredNorms[$0] }, squaredNorm: squaredNorm)
    }

    private var n: Double { Double(features.rows) }

    private func estimate(_ squaredCross: Double, _ other: CenteredFeatures) -> Double {
        guard unbiased else { return squaredCross / ((n - 1) * (n - 1)) }
        let corrected =
            squaredCross - n / (n - 2) * dot(rowSquaredNorms, other.rowSquaredNorms)
            + squaredNorm * other.squaredNorm / ((n - 1) * (n - 2))
        return corrected / (n * (n - 3))
    }

    func hsic(with other: CenteredFeatures) -> Double {
        let cross = TallProducts.cross(features, other.features, subtracting: (means, other.means))
        return estimate(dot(cross.storage, cross.storage), other)
    }

    func selfHSIC() -> Double {
        let g = TallProducts.gram(features, subtracting: means)
        return estimate(dot(g.storage, g.storage), self)
    }
}
