import Foundation
import LinAlg

/// Mean cross-entropy of a batch of logits against integer labels, with its gradient
/// (softmax(z) − onehot(y)) / N, computed stably in Float64 per row; rows on both cores (a
/// language model's batch is thousands of rows of thousands of logits).
public func crossEntropy<T: BLASScalar>(logits z: Matrix<T>, labels: [Int]) -> (loss: Double, gradient: Matrix<T>) {
    precondition(labels.count == z.rows, "crossEntropy: \(labels.count) labels for \(z.rows) rows")
    var grad = Matrix<T>(unsetRows: z.rows, cols: z.cols)
    let n = Double(max(z.rows, 1))
    let cols = z.cols
    var totals = [Double](repeating: 0, count: parallelChunkCount(z.rows))
    grad.withUnsafeMutableBufferPointer { g in
        z.withUnsafeBufferPointer { p in
            totals.withUnsafeMutableBufferPointer { sums in
                let (logits, out, chunkSums) = (p.baseAddress!, g.baseAddress!, sums.baseAddress!)
                parallelChunks(z.rows) { chunk, rows in
                    var total = 0.0
                    for r in rows {
                        let (row, gradRow) = (logits + r * cols, out + r * cols)
                        var m = -Double.infinity
                        for c in 0..<cols { m = max(m, Double(row[c])) }
                        var s = 0.0
                        for c in 0..<cols { s += exp(Double(row[c]) - m) }
                        let logSum = m + log(s)
                        total += logSum - Double(row[labels[r]])
                        for c in 0..<cols { gradRow[c] = T(exp(Double(row[c]) - logSum) / n) }
                        gradRow[labels[r]] -= T(1 / n)
                    }
                    chunkSums[chunk] = total
                }
            }
        }
    }
    return (totals.reduce(0, +) / n, grad)
}

extension Network {
    /// The trace index of the scores a loss is computed from: the output, or what goes into a
    /// final softmax (so the loss never takes the log of a rounded probability).
    public var scoreIndex: Int {
        if case .softmax = layers.last?.operation { return inputIndices(of: layers.count - 1)[0] }
        return layers.count
    }

    /// The pre-softmax scores of a batch.
    public func scores(_ x: Matrix<T>) -> Matrix<T> { forward(x, to: scoreIndex) }
}
