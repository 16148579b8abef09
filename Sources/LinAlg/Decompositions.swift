import CLinAlg

/// An error reported by LAPACK (`info != 0`), or a matrix a decomposition cannot take.
public enum LinAlgError: Error, CustomStringConvertible, Equatable {
    case lapack(routine: String, info: Int)
    case notPositiveDefinite(order: Int)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .lapack(let routine, let info) where info < 0:
            return "\(routine): argument \(-info) had an illegal value"
        case .lapack(let routine, let info):
            return "\(routine) did not converge (info = \(info))"
        case .notPositiveDefinite(let order):
            return "matrix is not positive definite (leading minor of order \(order) is not positive)"
        case .invalidInput(let message):
            return message
        }
    }
}

@inline(__always) private func char(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

private func checkFinite(_ m: Matrix<Double>, _ routine: String) throws {
    if m.hasNonFinite { throw LinAlgError.invalidInput("\(routine): the matrix contains NaN or infinity") }
}

/// Eigendecomposition of a symmetric matrix, A = V diag(λ) Vᵀ (LAPACK dsyevd).
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in ascending order, as LAPACK returns them.
    public let values: [Double]
    /// Eigenvectors as columns: column j belongs to `values[j]`; orthonormal.
    public let vectors: Matrix<Double>

    /// Decomposes `a`, reading its upper triangle only.
    public init(_ a: Matrix<Double>) throws {
        precondition(a.rows == a.cols, "SymmetricEigen: matrix is \(a.shapeDescription), not square")
        try checkFinite(a, "dsyevd")
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = v.withUnsafeMutableBufferPointer { pv in
                withBLASLock { LAPACKE_dsyevd(LAPACK_ROW_MAJOR, char("V"), char("U"), Int32(n), pv.baseAddress, Int32(n), &w) }
            }
            if info != 0 { throw LinAlgError.lapack(routine: "dsyevd", info: Int(info)) }
        }
        values = w
        vectors = v
    }

    /// Eigenvector j as an array.
    public func vector(_ j: Int) -> [Double] { vectors.column(j) }

    /// Indices of the eigenpairs by decreasing value (most positive first).
    public var descendingOrder: [Int] { Array((0..<values.count).reversed()) }
    /// Indices of the eigenpairs by decreasing |λ|.
    public var magnitudeOrder: [Int] {
        (0..<values.count).sorted { abs(values[$0]) > abs(values[$1]) || (abs(values[$0]) == abs(values[$1]) && $0 > $1) }
    }
}

/// Thin singular value decomposition A = U diag(s) Vᵀ (LAPACK dgesdd).
public struct SVD: Sendable {
    /// m × r with r = min(m, n), orthonormal columns.
    public let u: Matrix<Double>
    /// Singular values, descending.
    public let singularValues: [Double]
    /// r × n, orthonormal rows.
    public let vt: Matrix<Double>

    public init(_ a: Matrix<Double>) throws {
        try checkFinite(a, "dgesdd")
        let (m, n) = (a.rows, a.cols)
        let r = min(m, n)
        var work = a
        var s = [Double](repeating: 0, count: r)
        var u = Matrix<Double>(rows: m, cols: r)
        var vt = Matrix<Double>(rows: r, cols: n)
        if r > 0 {
            let info = work.withUnsafeMutableBufferPointer { pa in
                u.withUnsafeMutableBufferPointer { pu in
                    vt.withUnsafeMutableBufferPointer { pv in
                        withBLASLock {
                            LAPACKE_dgesdd(
                                LAPACK_ROW_MAJOR, char("S"), Int32(m), Int32(n), pa.baseAddress,
                                Int32(n), &s, pu.baseAddress, Int32(r), pv.baseAddress, Int32(n))
                        }
                    }
                }
            }
            if info != 0 { throw LinAlgError.lapack(routine: "dgesdd", info: Int(info)) }
        }
        self.u = u
        self.singularValues = s
        self.vt = vt
    }
}

/// QR factorisation A = Q R of an m × n matrix with m ≥ n (LAPACK dgeqrf + dorgqr).
public struct QR: Sendable {
    /// m × n with orthonormal columns.
    public let q: Matrix<Double>
    /// n × n upper triangular.
    public let r: Matrix<Double>

    public init(_ a: Matrix<Double>) throws {
        let (m, n) = (a.rows, a.cols)
        guard m >= n else { throw LinAlgError.invalidInput("QR: needs rows ≥ columns, got \(a.shapeDescription)") }
        try checkFinite(a, "dgeqrf")
        var qa = a
        var tau = [Double](repeating: 0, count: n)
        if n > 0 {
            var info = qa.withUnsafeMutableBufferPointer { p in
                withBLASLock { LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), p.baseAddress, Int32(n), &tau) }
            }
            if info != 0 { throw LinAlgError.lapack(routine: "dgeqrf", info: Int(info)) }
            let packed = qa
            r = Matrix(rows: n, cols: n) { i, j in j >= i ? packed[i, j] : 0 }
            info = qa.withUnsafeMutableBufferPointer { p in
                withBLASLock { LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), p.baseAddress, Int32(n), &tau) }
            }
            if info != 0 { throw LinAlgError.lapack(routine: "dorgqr", info: Int(info)) }
        } else {
            r = Matrix(rows: 0, cols: 0)
        }
        q = qa
    }
}

/// The least-squares solution X of min ‖A X − B‖_F for A (m × n, m ≥ n, full column rank),
/// B (m × k), through LAPACK dgels (QR).
public func leastSquares(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
    precondition(a.rows == b.rows, "leastSquares: A has \(a.rows) rows, B has \(b.rows)")
    let (m, n, k) = (a.rows, a.cols, b.cols)
    guard m >= n else { throw LinAlgError.invalidInput("leastSquares: needs at least as many samples (\(m)) as unknowns (\(n))") }
    try checkFinite(a, "dgels")
    try checkFinite(b, "dgels")
    var qa = a
    var x = b
    if n > 0 && k > 0 {
        let info = qa.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { pb in
                withBLASLock {
                    LAPACKE_dgels(
                        LAPACK_ROW_MAJOR, char("N"), Int32(m), Int32(n), Int32(k),
                        pa.baseAddress, Int32(n), pb.baseAddress, Int32(k))
                }
            }
        }
        if info < 0 { throw LinAlgError.lapack(routine: "dgels", info: Int(info)) }
        // dgels only notices an exactly zero pivot; a numerically zero one gives garbage, so
        // look at the diagonal of R it leaves in the upper triangle of A.
        let diagonal = (0..<n).map { abs(qa[$0, $0]) }
        let tolerance = Double(max(m, n)) * Double.ulpOfOne * (diagonal.max() ?? 0)
        if info > 0 || diagonal.contains(where: { $0 <= tolerance }) {
            throw LinAlgError.invalidInput("leastSquares: A is rank-deficient (its columns are linearly dependent)")
        }
    }
    return x.rows(in: 0..<n)
}

/// Solves A X = B for symmetric positive definite A by Cholesky (LAPACK dposv).
public func choleskySolve(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
    precondition(a.rows == a.cols, "choleskySolve: A is \(a.shapeDescription), not square")
    precondition(b.rows == a.rows, "choleskySolve: A is \(a.shapeDescription), B has \(b.rows) rows")
    try checkFinite(a, "dposv")
    try checkFinite(b, "dposv")
    var fa = a
    var x = b
    let (n, k) = (a.rows, b.cols)
    guard n > 0, k > 0 else { return x }
    let info = fa.withUnsafeMutableBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { pb in
            withBLASLock {
                LAPACKE_dposv(
                    LAPACK_ROW_MAJOR, char("U"), Int32(n), Int32(k), pa.baseAddress,
                    Int32(n), pb.baseAddress, Int32(k))
            }
        }
    }
    if info > 0 { throw LinAlgError.notPositiveDefinite(order: Int(info)) }
    if info < 0 { throw LinAlgError.lapack(routine: "dposv", info: Int(info)) }
    return x
}

/// Ridge regression: W = (XᵀX + λI)⁻¹ XᵀY, through a Cholesky solve.
public func ridgeRegression(_ x: Matrix<Double>, _ y: Matrix<Double>, lambda: Double) throws -> Matrix<Double> {
    precondition(x.rows == y.rows, "ridgeRegression: X has \(x.rows) rows, Y has \(y.rows)")
    var xtx = gram(x, transpose: true)
    for i in 0..<xtx.rows { xtx[i, i] += lambda }
    return try choleskySolve(xtx, matmul(x, y, transposeA: true))
}
