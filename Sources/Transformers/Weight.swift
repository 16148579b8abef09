import Foundation
import LinAlg
import TensorIO

/// A weight matrix in Float32 as the products read it: in place in the checkpoint's
/// memory-mapped file when the checkpoint stores it as float32 (no copy is made; the pages are
/// the file's, read as the products touch them), otherwise a matrix converted once on load
/// (bfloat16 and float16 are widened; an untrained model's weights are drawn). A view may be
/// some of another weight's columns (GPT-2's fused q/k/v), its rows then `stride` apart.
struct Weight: Sendable {
    let rows: Int
    let cols: Int
    /// Elements from the start of one row to the next.
    let stride: Int
    /// Where element (0, 0) is, in elements from the start of the storage.
    private let offset: Int
    private let storage: Storage

    private enum Storage: Sendable {
        /// A float32 tensor's bytes: a view of the file's mapping, which it keeps alive.
        case mapped(Data)
        case converted([Float])
    }

    init(_ matrix: Matrix<Float>) {
        (rows, cols, stride, offset, storage) = (matrix.rows, matrix.cols, matrix.cols, 0, .converted(matrix.storage))
    }

    /// A [rows, cols] float32 tensor read in place, or nil when it is not float32 or its bytes
    /// are not aligned for Float (a safetensors file does not promise alignment).
    init?(mapping tensor: Tensor, rows: Int, cols: Int) {
        guard tensor.dtype == .f32, tensor.elementCount == rows * cols,
            tensor.bytes.withUnsafeBytes({ Int(bitPattern: $0.baseAddress) % MemoryLayout<Float>.alignment == 0 })
        else { return nil }
        (self.rows, self.cols, stride, offset, storage) = (rows, cols, cols, 0, .mapped(tensor.bytes))
    }

    private init(rows: Int, cols: Int, stride: Int, offset: Int, storage: Storage) {
        (self.rows, self.cols, self.stride, self.offset, self.storage) = (rows, cols, stride, offset, storage)
    }

    /// Whether the weight is read in place from the checkpoint's file.
    var isMapped: Bool {
        if case .mapped = storage { return true }
        return false
    }

    /// Columns `range`, as a view of the same storage.
    func columns(_ range: Range<Int>) -> Weight {
        precondition(range.lowerBound >= 0 && range.upperBound <= cols, "Weight: columns \(range) of \(cols)")
        return Weight(rows: rows, cols: range.count, stride: stride, offset: offset + range.lowerBound, storage: storage)
    }

    /// Calls `body` with a pointer to element (0, 0).
    func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .mapped(let data):
            return try data.withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: Float.self) + offset) }
        case .converted(let values):
            return try values.withUnsafeBufferPointer { try body($0.baseAddress! + offset) }
        }
    }

    /// The rows `indices` (token ids, positions) gathered into a matrix.
    func rows(_ indices: [Int]) -> Matrix<Float> {
        var out = Matrix<Float>(unsetRows: indices.count, cols: cols)
        withUnsafePointer { w in
            out.withUnsafeMutableBufferPointer { o in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "Weight: row \(i) of \(rows)")
                    (o.baseAddress! + r * cols).update(from: w + i * stride, count: cols)
                }
            }
        }
        return out
    }

    /// The whole weight as a matrix (a copy).
    var matrix: Matrix<Float> { rows(Array(0..<rows)) }
}

/// x·W, or x·Wᵀ with `transposeB`, through BLAS, W read where it lies.
func matmul(_ x: Matrix<Float>, _ w: Weight, transposeB: Bool) -> Matrix<Float> {
    let (k, n) = transposeB ? (w.cols, w.rows) : (w.rows, w.cols)
    precondition(x.cols == k, "matmul: x is \(x.shapeDescription), the weight \(w.rows)×\(w.cols)\(transposeB ? "ᵀ" : "")")
    // gemm with β = 0 writes every element, unless there is nothing to sum (k = 0).
    var y = k > 0 ? Matrix<Float>(unsetRows: x.rows, cols: n) : Matrix<Float>(rows: x.rows, cols: n)
    guard x.rows > 0, n > 0, k > 0 else { return y }
    x.withUnsafeBufferPointer { px in
        w.withUnsafePointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                Float.gemm(
                    transA: false, transB: transposeB, m: x.rows, n: n, k: k, alpha: 1, a: px.baseAddress!, lda: k, b: pw,
                    ldb: w.stride, beta: 0, c: py.baseAddress!, ldc: n)
            }
        }
    }
    return y
}
