import Foundation
import LinAlg

/// Mean cross-entropy of a batch of logits against integer labels, with its gradient
/// (softmax(z) − onehot(y)) / N, computed stably in Float64 per row.
public func crossEntropy<T: BLASScalar>(logits z: Matrix<T>, labels: [Int]) -> (loss: Double, gradient: Matrix<T>) {
    precondition(labels.count == z.rows, "crossEntropy: \(labels.count) labels for \(z.rows) rows")
    var grad = Matrix<T>(rows: z.rows, cols: z.cols)
    var total = 0.0
    let n = Double(max(z.rows, 1))
    grad.withUnsafeMutableBufferPointer { g in
        z.withUnsafeBufferPointer { p in
            for r in 0..<z.rows {
                let base = r * z.cols
                var m = -Double.infinity
                for c in 0..<z.cols { m = max(m, Double(p[base + c])) }
                var s = 0.0
                for c in 0..<z.cols { s += exp(Double(p[base + c]) - m) }
                let logSum = m + log(s)
                total += logSum - Double(p[base + labels[r]])
                for c in 0..<z.cols { g[base + c] = T(exp(Double(p[base + c]) - logSum) / n) }
                g[base + labels[r]] -= T(1 / n)
            }
        }
    }
    return (total / n, grad)
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
