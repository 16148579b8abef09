import Foundation

/// A row of logits read as a distribution over the vocabulary, in Double, shifted by the
/// largest logit so that no exponential overflows.
public enum Logits {
    /// log Σ exp(z).
    public static func logSumExp(_ row: ArraySlice<Float>) -> Double {
        let top = Double(row.max()!)
        return top + log(row.reduce(0.0) { $0 + exp(Double($1) - top) })
    }

    /// softmax(z), one probability per token.
    public static func probabilities(_ row: ArraySlice<Float>) -> [Double] {
        let z = logSumExp(row)
        return row.map { exp(Double($0) - z) }
    }
}
