import LinAlg

/// cos(a_i, b_j) for every row of `a` against every row of `b`, in Float64 (a zero row has
/// cosine 0 with everything): how feature recovery and latent matching compare directions.
func rowCosines<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>) -> Matrix<Double> {
    func unitRows(_ m: Matrix<T>) -> Matrix<Double> {
        var out = m.converted(to: Double.self)
        let norms = out.rowNorms()
        let cols = out.cols
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<norms.count where norms[r] > 0 { for c in 0..<cols { p[r * cols + c] /= norms[r] } }
        }
        return out
    }
    return matmul(unitRows(a), unitRows(b), transposeB: true)
}
