/// Products over many samples, AᵀB and AᵀA for matrices with a row per sample, summed in
/// Float64 whatever the scalar of A and B.
///
/// Float64 inputs take one dgemm (or dsyrk). Float32 inputs are multiplied in Float32 (sgemm,
/// ssyrk: twice the rate of the Float64 routines and half the memory traffic, with no widened
/// copy of the data) over blocks of `float32Block` rows, and each block's product is added into
/// a Float64 sum. The rounding error of a Float32 dot product grows with its length, about
/// √k·2⁻²⁴ relative to Σ|aᵢbᵢ| for k terms in practice (k·2⁻²⁴ at worst); summing blocks of
/// k = 1024 in Float64 keeps each entry's error at that of a 1024-term sum, about 2e-6
/// relative, whatever the number of samples. See docs/methods.md (CKA, precision).
public enum TallProducts {
    /// Rows per Float32 block.
    public static let float32Block = 1024

    /// AᵀB, a.cols × b.cols.
    public static func cross<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>) -> Matrix<Double> {
        precondition(a.rows == b.rows, "TallProducts.cross: \(a.rows) and \(b.rows) rows")
        return blocked(rows: a.rows, m: a.cols, n: b.cols) { start, count, c in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    T.gemm(
                        transA: true, transB: false, m: a.cols, n: b.cols, k: count, alpha: 1,
                        a: pa.baseAddress! + start * a.cols, lda: a.cols, b: pb.baseAddress! + start * b.cols, ldb: b.cols,
                        beta: 0, c: c, ldc: b.cols)
                }
            }
        }
    }

    /// AᵀA, a.cols × a.cols, symmetric (syrk computes the upper triangle; the lower is copied).
    public static func gram<T: BLASScalar>(_ a: Matrix<T>) -> Matrix<Double> {
        let n = a.cols
        var g = blocked(rows: a.rows, m: n, n: n) { start, count, c in
            a.withUnsafeBufferPointer { pa in
                T.syrk(trans: true, n: n, k: count, alpha: 1, a: pa.baseAddress! + start * n, lda: n, beta: 0, c: c, ldc: n)
            }
        }
        g.fillLowerTriangle()
        return g
    }

    /// Σ over blocks of rows of `product(start, count, c)`, an m × n product written into `c`.
    private static func blocked<T: BLASScalar>(
        rows: Int, m: Int, n: Int, _ product: (Int, Int, UnsafeMutablePointer<T>) -> Void
    ) -> Matrix<Double> {
        var sum = Matrix<Double>(rows: m, cols: n)
        guard rows > 0, m > 0, n > 0 else { return sum }
        let block = T.self == Double.self ? rows : float32Block
        var part = [T](repeating: 0, count: m * n)
        sum.withUnsafeMutableBufferPointer { s in
            part.withUnsafeMutableBufferPointer { p in
                for start in stride(from: 0, to: rows, by: block) {
                    product(start, min(block, rows - start), p.baseAddress!)
                    for i in 0..<(m * n) { s[i] += Double(p[i]) }
                }
            }
        }
        return sum
    }
}
