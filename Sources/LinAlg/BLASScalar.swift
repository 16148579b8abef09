import CLinAlg
import Foundation

/// OpenBLAS keeps one thread pool; two Swift threads calling into it at once (a background job
/// and the UI, say) would oversubscribe it or worse. Every BLAS and LAPACK call in LinAlg holds
/// this lock, so callers on any thread are safe and the calls simply take turns.
let blasLock = NSLock()

/// Runs `body` (a BLAS or LAPACK call) holding the BLAS lock.
@inline(__always) func withBLASLock<R>(_ body: () throws -> R) rethrows -> R {
    blasLock.lock()
    defer { blasLock.unlock() }
    return try body()
}

/// A floating-point type that BLAS has routines for: Float (s-routines) and Double (d-routines).
///
/// Every matrix product in Loupe goes through one of these entry points; `Matrix` and the
/// product functions are generic over this protocol so the Float32 weights and the Float64
/// statistics share one implementation.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, all row-major.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y ← α·op(A)·x + β·y, A row-major m×n.
    static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    /// Upper triangle of C ← α·op(A)·op(A)ᵀ + β·C; `trans` means C = AᵀA.
    static func syrk(
        trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y ← α·x + y.
    static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// x·y.
    static func dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
    /// ‖x‖₂.
    static func nrm2(n: Int, x: UnsafePointer<Self>) -> Self
    /// x ← α·x.
    static func scal(n: Int, alpha: Self, x: UnsafeMutablePointer<Self>)
}

@inline(__always) func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        withBLASLock {
            cblas_sgemm(
                CblasRowMajor, cblasTrans(transA), cblasTrans(transB), blasint(m), blasint(n),
                blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }
    public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>,
        lda: Int, x: UnsafePointer<Float>, beta: Float,
        y: UnsafeMutablePointer<Float>
    ) {
        withBLASLock {
            cblas_sgemv(
                CblasRowMajor, cblasTrans(trans), blasint(m), blasint(n), alpha, a,
                blasint(lda), x, 1, beta, y, 1)
        }
    }
    public static func syrk(
        trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>,
        lda: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        withBLASLock {
            cblas_ssyrk(
                CblasRowMajor, CblasUpper, cblasTrans(trans), blasint(n), blasint(k), alpha,
                a, blasint(lda), beta, c, blasint(ldc))
        }
    }
    public static func axpy(
        n: Int, alpha: Float, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>
    ) {
        withBLASLock { cblas_saxpy(blasint(n), alpha, x, 1, y, 1) }
    }
    public static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        withBLASLock { cblas_sdot(blasint(n), x, 1, y, 1) }
    }
    public static func nrm2(n: Int, x: UnsafePointer<Float>) -> Float {
        withBLASLock { cblas_snrm2(blasint(n), x, 1) }
    }
    public static func scal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        withBLASLock { cblas_sscal(blasint(n), alpha, x, 1) }
    }
}

extension Double: BLASScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        withBLASLock {
            cblas_dgemm(
                CblasRowMajor, cblasTrans(transA), cblasTrans(transB), blasint(m), blasint(n),
                blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }
    public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>,
        lda: Int, x: UnsafePointer<Double>, beta: Double,
        y: UnsafeMutablePointer<Double>
    ) {
        withBLASLock {
            cblas_dgemv(
                CblasRowMajor, cblasTrans(trans), blasint(m), blasint(n), alpha, a,
                blasint(lda), x, 1, beta, y, 1)
        }
    }
    public static func syrk(
        trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>,
        lda: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        withBLASLock {
            cblas_dsyrk(
                CblasRowMajor, CblasUpper, cblasTrans(trans), blasint(n), blasint(k), alpha,
                a, blasint(lda), beta, c, blasint(ldc))
        }
    }
    public static func axpy(
        n: Int, alpha: Double, x: UnsafePointer<Double>,
        y: UnsafeMutablePointer<Double>
    ) {
        withBLASLock { cblas_daxpy(blasint(n), alpha, x, 1, y, 1) }
    }
    public static func dot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
        withBLASLock { cblas_ddot(blasint(n), x, 1, y, 1) }
    }
    public static func nrm2(n: Int, x: UnsafePointer<Double>) -> Double {
        withBLASLock { cblas_dnrm2(blasint(n), x, 1) }
    }
    public static func scal(n: Int, alpha: Double, x: UnsafeMutablePointer<Double>) {
        withBLASLock { cblas_dscal(blasint(n), alpha, x, 1) }
    }
}
