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
///
/// Given column means, the products are of the centred matrices (A − 1μ_Aᵀ)ᵀ(B − 1μ_Bᵀ): each
/// block of rows is centred (in Float64, rounded to the scalar) into a scratch block that stays
/// in cache, right before its product, so the centred matrix is never formed whole: no second
/// copy of the data, and no pass that writes one.
public enum TallProducts {
    /// Rows per Float32 block, and per block centred into scratch.
    public static let float32Block = 1024

    /// AᵀB, a.cols × b.cols, of A and B with `means` (one per column) subtracted if given.
    public static func cross<T: BLASScalar>(
        _ a: Matrix<T>, _ b: Matrix<T>, subtracting means: (a: [Double], b: [Double])? = nil
    ) -> Matrix<Double> {
        precondition(a.rows == b.rows, "TallProducts.cross: \(a.rows) and \(b.rows) rows")
        let block = blockRows(a.rows, centring: means != nil, T.self)
        var scratchA = Scratch(a, means?.a, block), scratchB = Scratch(b, means?.b, block)
        return blocked(rows: a.rows, block: block, m: a.cols, n: b.cols) { start, count, c in
            scratchA.withRows(start, count) { pa in
                scratchB.withRows(start, count) { pb in
                    T.gemm(
                        transA: true, transB: false, m: a.cols, n: b.cols, k: count, alpha: 1,
                        a: pa, lda: a.cols, b: pb, ldb: b.cols, beta: 0, c: c, ldc: b.cols)
                }
            }
        }
    }

    /// AᵀA, a.cols × a.cols, of A with `means` subtracted if given; symmetric (syrk computes the
    /// upper triangle; the lower is copied).
    public static func gram<T: BLASScalar>(_ a: Matrix<T>, subtracting means: [Double]? = nil) -> Matrix<Double> {
        let n = a.cols
        let block = blockRows(a.rows, centring: means != nil, T.self)
        var scratch = Scratch(a, means, block)
        var g = blocked(rows: a.rows, block: block, m: n, n: n) { start, count, c in
            scratch.withRows(start, count) { pa in
                T.syrk(trans: true, n: n, k: count, alpha: 1, a: pa, lda: n, beta: 0, c: c, ldc: n)
            }
        }
        g.fillLowerTriangle()
        return g
    }

    /// Float64 products of the data as it is take all rows at once; Float32 ones, and any that
    /// centre into scratch, a block at a time.
    private static func blockRows<T: BLASScalar>(_ rows: Int, centring: Bool, _: T.Type) -> Int {
        T.self == Double.self && !centring ? max(rows, 1) : float32Block
    }

    /// Where a product reads a block of rows: the matrix itself, or the block centred into a
    /// buffer of its own.
    private struct Scratch<T: BLASScalar> {
        let matrix: Matrix<T>
        let means: [Double]?
        var buffer: [T]

        init(_ matrix: Matrix<T>, _ means: [Double]?, _ block: Int) {
            precondition(means == nil || means!.count == matrix.cols, "TallProducts: \(means!.count) means for \(matrix.cols) columns")
            self.matrix = matrix
            self.means = means
            buffer = means == nil ? [] : [T](repeating: 0, count: block * matrix.cols)
        }

        /// Calls `body` with rows [start, start + count), centred if there are means.
        mutating func withRows(_ start: Int, _ count: Int, _ body: (UnsafePointer<T>) -> Void) {
            let d = matrix.cols
            guard let means else {
                matrix.withUnsafeBufferPointer { body($0.baseAddress! + start * d) }
                return
            }
            matrix.withUnsafeBufferPointer { src in
                means.withUnsafeBufferPointer { mu in
                    buffer.withUnsafeMutableBufferPointer { dst in
                        let (pm, out, from) = (mu.baseAddress!, dst.baseAddress!, src.baseAddress!)
                        // On both cores: BLAS's threads wait meanwhile.
                        parallelChunks(count) { _, rows in
                            for r in rows {
                                let (row, to) = (from + (start + r) * d, out + r * d)
                                for c in 0..<d { to[c] = T(Double(row[c]) - pm[c]) }
                            }
                        }
                        body(UnsafePointer(out))
                    }
                }
            }
        }
    }

    /// Σ over blocks of rows of `product(start, count, c)`, an m × n product written into `c`.
    private static func blocked<T: BLASScalar>(
        rows: Int, block: Int, m: Int, n: Int, _ product: (Int, Int, UnsafeMutablePointer<T>) -> Void
    ) -> Matrix<Double> {
        var sum = Matrix<Double>(rows: m, cols: n)
        guard rows > 0, m > 0, n > 0 else { return sum }
        var part = [T](repeating: 0, count: m * n)
        sum.withUnsafeMutableBufferPointer { s in
            part.withUnsafeMutableBufferPointer { p in
                let (sum, part) = (s.baseAddress!, p.baseAddress!)
                for start in stride(from: 0, to: rows, by: block) {
                    product(start, min(block, rows - start), part)
                    parallelChunks(m * n) { _, range in
                        for i in range { sum[i] += Double(part[i]) }
                    }
                }
            }
        }
        return sum
    }
}
