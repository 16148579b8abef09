/// Matrix products, all through BLAS. `op(A)` is A or Aᵀ as the flags say.

/// op(A)·op(B), scaled by α.
public func matmul<T>(
    _ a: Matrix<T>, _ b: Matrix<T>, transposeA: Bool = false,
    transposeB: Bool = false, alpha: T = 1
) -> Matrix<T> {
    let m = transposeA ? a.cols : a.rows
    let n = transposeB ? b.rows : b.cols
    let k = transposeA ? a.rows : a.cols
    // gemm with β = 0 writes every element, unless there is nothing to sum (k = 0).
    var c = k > 0 ? Matrix<T>(unsetRows: m, cols: n) : Matrix<T>(rows: m, cols: n)
    gemm(into: &c, a, b, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: 0)
    return c
}

/// C ← α·op(A)·op(B) + β·C in place (β = 1 accumulates, e.g. gradients over minibatches).
public func gemm<T>(
    into c: inout Matrix<T>, _ a: Matrix<T>, _ b: Matrix<T>,
    transposeA: Bool = false, transposeB: Bool = false,
    alpha: T = 1, beta: T = 0
) {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kb = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(k == kb, "matmul: inner dimensions differ: op(A) is \(m)×\(k), op(B) is \(kb)×\(n)")
    precondition(c.rows == m && c.cols == n, "matmul: result is \(c.shapeDescription), expected \(m)×\(n)")
    guard m > 0, n > 0 else { return }
    if k == 0 { c.scale(by: beta); return }
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                T.gemm(
                    transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: pa.baseAddress!, lda: max(a.cols, 1), b: pb.baseAddress!, ldb: max(b.cols, 1),
                    beta: beta, c: pc.baseAddress!, ldc: max(n, 1))
            }
        }
    }
}

/// op(A)·x.
public func matvec<T>(_ a: Matrix<T>, _ x: [T], transpose: Bool = false) -> [T] {
    let (m, n) = (a.rows, a.cols)
    precondition(
        x.count == (transpose ? m : n),
        "matvec: vector of \(x.count) for \(transpose ? "transposed " : "")\(a.shapeDescription) matrix")
    var y = [T](repeating: 0, count: transpose ? n : m)
    guard m > 0, n > 0 else { return y }
    a.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                T.gemv(
                    trans: transpose, m: m, n: n, alpha: 1, a: pa.baseAddress!, lda: n,
                    x: px.baseAddress!, beta: 0, y: py.baseAddress!)
            }
        }
    }
    return y
}

/// The Gram matrix AᵀA (`transpose: true`, cols×cols) or AAᵀ (rows×rows), via syrk,
/// with the lower triangle filled in from the upper.
public func gram<T>(_ a: Matrix<T>, transpose: Bool = true) -> Matrix<T> {
    let n = transpose ? a.cols : a.rows
    let k = transpose ? a.rows : a.cols
    var c = Matrix<T>(rows: n, cols: n)
    guard n > 0, k > 0 else { return c }
    a.withUnsafeBufferPointer { pa in
        c.withUnsafeMutableBufferPointer { pc in
            T.syrk(
                trans: transpose, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: a.cols,
                beta: 0, c: pc.baseAddress!, ldc: n)
        }
    }
    c.fillLowerTriangle()
    return c
}

extension Matrix {
    /// Copies the upper triangle of a square matrix into the lower, as after syrk, which
    /// computes only the upper.
    mutating func fillLowerTriangle() {
        let n = rows
        withUnsafeMutableBufferPointer { p in
            for i in 0..<n { for j in 0..<i { p[i * n + j] = p[j * n + i] } }
        }
    }
}

/// x·y through BLAS.
public func dot<T: BLASScalar>(_ x: [T], _ y: [T]) -> T {
    precondition(x.count == y.count, "dot: lengths differ, \(x.count) and \(y.count)")
    guard !x.isEmpty else { return 0 }
    return x.withUnsafeBufferPointer { px in
        y.withUnsafeBufferPointer { py in
            T.dot(n: x.count, x: px.baseAddress!, y: py.baseAddress!)
        }
    }
}

/// ‖x‖₂ through BLAS.
public func norm<T: BLASScalar>(_ x: [T]) -> T {
    guard !x.isEmpty else { return 0 }
    return x.withUnsafeBufferPointer { T.nrm2(n: x.count, x: $0.baseAddress!) }
}
