import Foundation
import LinAlg

/// One output direction u of a bilinear layer as a quadratic form, and its eigendecomposition.
///
/// u·g(x) = Σ_a u_a (L̃_a·x̃)(R̃_a·x̃) = x̃ᵀ A x̃ with A = L̃ᵀ diag(u) R̃; only the symmetric part
/// Q = ½(A + Aᵀ) (the interaction matrix) contributes, and Q = Σ_i λ_i v_i v_iᵀ turns the output
/// into a sum of squared projections: u·g(x) = Σ_i λ_i (v_i·x̃)². The eigenvectors are the
/// layer's features for this output: positive ones push it up, negative ones down.
public struct InteractionForm: Sendable {
    public let direction: FormDirection
    /// Q, formSize × formSize, symmetric.
    public let matrix: Matrix<Double>
    /// λ, most positive first.
    public let eigenvalues: [Double]
    /// Row i is v_i, the unit eigenvector of `eigenvalues[i]`, its sign chosen so that its
    /// largest-magnitude component is positive (the form does not depend on the sign).
    public let eigenvectors: Matrix<Double>

    public init(site: BilinearSite, direction: FormDirection) throws {
        guard direction.vector.count == site.outputSize else {
            throw InterpretError(
                "direction '\(direction.label)' has \(direction.vector.count) values, but layer '\(site.layerName)' has \(site.outputSize) outputs"
            )
        }
        let u = direction.vector
        let weightedRight = Matrix(rows: site.right.rows, cols: site.right.cols) { a, j in u[a] * site.right[a, j] }
        let a = matmul(site.left, weightedRight, transposeA: true)
        let q = 0.5 * (a + a.transposed())
        let eigen: SymmetricEigen
        do { eigen = try SymmetricEigen(q) } catch {
            throw InterpretError("interaction matrix of '\(direction.label)' at layer '\(site.layerName)': \(error)")
        }
        let order = eigen.descendingOrder
        var vectors = eigen.vectors.transposed().rows(order)
        vectors.withUnsafeMutableBufferPointer { v in
            let n = q.cols
            for i in 0..<order.count {
                let row = v[(i * n)..<((i + 1) * n)]
                guard let peak = row.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[peak] < 0 else { continue }
                for j in row.indices { v[j] = -v[j] }
            }
        }
        self.direction = direction
        matrix = q
        eigenvalues = order.map { eigen.values[$0] }
        eigenvectors = vectors
    }

    public var size: Int { eigenvalues.count }

    /// Eigenvector indices by decreasing |λ| (ties: the earlier index first): the order in
    /// which truncation keeps them.
    public var magnitudeOrder: [Int] { indicesByMagnitude(eigenvalues) }

    /// The indices of up to `count` eigenvectors with λ > 0 (most positive first) and with
    /// λ < 0 (most negative first): the features that push the output up and down the most.
    public func extremes(_ count: Int) -> (positive: [Int], negative: [Int]) {
        let positive = eigenvalues.indices.prefix { eigenvalues[$0] > 0 }.prefix(count)
        let negative = eigenvalues.indices.reversed().prefix { eigenvalues[$0] < 0 }.prefix(count)
        return (Array(positive), Array(negative))
    }

    /// v_i·x̃ for every sample (rows of `x`, points of the form space) and eigenvector: one gemm.
    public func projections(_ x: Matrix<Double>) -> Matrix<Double> {
        matmul(x, eigenvectors, transposeB: true)
    }

    /// λ_i (v_i·x̃)² for every sample and eigenvector; a row sums to u·g(x).
    public func contributions(_ x: Matrix<Double>) -> Matrix<Double> {
        var p = projections(x)
        let lambda = eigenvalues
        let n = p.cols
        p.withUnsafeMutableBufferPointer { v in
            for s in 0..<x.rows {
                for i in 0..<n { v[s * n + i] = lambda[i] * v[s * n + i] * v[s * n + i] }
            }
        }
        return p
    }

    /// The readout value u·g(x) + offset of every sample, from the eigendecomposition.
    public func values(_ x: Matrix<Double>) -> [Double] {
        contributions(x).rowSums().map { $0 + direction.offset }
    }

    /// The effective rank of the spectrum (Roy & Vetterli 2007): exp of the entropy of
    /// p_i = |λ_i| / Σ|λ_j|. It is r for r equal nonzero eigenvalues and rest zero; 0 for Q = 0.
    public var effectiveRank: Double {
        let total = eigenvalues.reduce(0) { $0 + abs($1) }
        guard total > 0 else { return 0 }
        let entropy = eigenvalues.reduce(0.0) { h, value in
            let p = abs(value) / total
            return p > 0 ? h - p * log(p) : h
        }
        return exp(entropy)
    }
}

/// The indices of `values` by decreasing magnitude, the earlier index first on ties.
func indicesByMagnitude(_ values: [Double]) -> [Int] {
    values.indices.sorted { abs(values[$0]) > abs(values[$1]) || (abs(values[$0]) == abs(values[$1]) && $0 < $1) }
}
