import LinAlg

/// Accuracy and mean cross-entropy of a network on labelled data.
public struct Evaluation: Codable, Equatable, Sendable {
    public var accuracy: Double
    public var loss: Double
    public var samples: Int
}

extension Network {
    /// Predicted class of every sample, in batches.
    public func predictions(_ x: Matrix<T>, batchSize: Int = 512) -> [Int] {
        stride(from: 0, to: x.rows, by: batchSize).flatMap { start in
            scores(x.rows(in: start..<min(start + batchSize, x.rows))).rowArgmax()
        }
    }

    /// Accuracy and loss over the whole set, in batches; nil when the data has no labels.
    public func evaluate(_ x: Matrix<T>, labels: [Int]?, batchSize: Int = 512) -> Evaluation? {
        guard let labels, x.rows > 0 else { return nil }
        var correct = 0
        var lossSum = 0.0
        for start in stride(from: 0, to: x.rows, by: batchSize) {
            let range = start..<min(start + batchSize, x.rows)
            let z = scores(x.rows(in: range))
            let y = Array(labels[range])
            lossSum += crossEntropy(logits: z, labels: y).loss * Double(range.count)
            correct += zip(z.rowArgmax(), y).filter { $0 == $1 }.count
        }
        return Evaluation(accuracy: Double(correct) / Double(x.rows), loss: lossSum / Double(x.rows), samples: x.rows)
    }
}
