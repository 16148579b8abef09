import Figures

extension CKAMatrix {
    /// The figure key of a pair of layers: "fc1|relu2" (row layer, column layer).
    public static func key(_ row: String, _ column: String) -> String { "\(row)|\(column)" }

    /// The figure section holding the matrix: "cka", or "mutual_knn".
    public var valueSection: String { measure == .cka ? "cka" : "mutual_knn" }

    /// What the values are, for titles: "CKA" or "mutual 10-NN".
    public var measureName: String { neighbours.map { "mutual \($0)-NN" } ?? "CKA" }

    /// The figure of the pair (row, column): "cka.fc1|relu2".
    public func figureKey(_ row: String, _ column: String) -> String { valueSection + "." + Self.key(row, column) }

    /// Every value (section `valueSection`, one per pair of layers), with its permutation null
    /// when there is one (sections null_mean, null_spread, p_value), for two models each row
    /// layer's closest layer and the mean over corresponding layers, what was measured on, and
    /// the caveats: the description every front end renders.
    public var figures: FigureSheet {
        var s = FigureSheet()
        let (a, b) = modelB == nil ? ("", "") : ("A ", "B ")
        for (i, row) in rowLayers.enumerated() {
            for (j, column) in columnLayers.enumerated() {
                s.add(valueSection, Self.key(row, column), "\(a)\(row) × \(b)\(column)", values[i][j])
            }
        }
        if let null {
            for (i, row) in rowLayers.enumerated() {
                for (j, column) in columnLayers.enumerated() {
                    let pair = "\(a)\(row) × \(b)\(column)"
                    s.add("null_mean", Self.key(row, column), "\(pair), samples shuffled: mean", null[i][j].mean)
                    s.add("null_spread", Self.key(row, column), "\(pair), samples shuffled: standard deviation", null[i][j].spread)
                    s.add("p_value", Self.key(row, column), "\(pair): p-value", null[i][j].pValue)
                }
            }
        }
        if modelB != nil {
            for (i, row) in rowLayers.enumerated() {
                let j = bestColumnForRow[i]
                s.add("closest", row, "A \(row) → B \(columnLayers[j])", values[i][j])
            }
            if rowLayers == columnLayers {
                let diagonal = rowLayers.indices.map { values[$0][$0] }
                s.add("summary", "mean_corresponding", "mean CKA of corresponding layers", diagonal.reduce(0, +) / Double(diagonal.count))
            }
        }
        s.add("data", "samples", "samples", Double(samples), .count)
        if let null, let first = null.first?.first {
            s.add("data", "permutations", "shuffles in each null", Double(first.permutations), .count)
        }
        if batchSize != nil { s.add("data", "batches", "minibatches per epoch", Double(batches), .count) }
        // A batch as large as the data is one batch of all of it: the full estimate, not minibatches.
        if let batchSize, batches == 1 {
            s.caution(
                "cka.one_minibatch",
                "the minibatch size \(batchSize) holds all \(samples) samples: this is one unbiased estimate over all of them, not an average over minibatches"
            )
        }
        return s
    }

    /// "linear CKA, biased HSIC: A demo:mlp-1 (rows) against B demo:mlp-2 (columns) on
    /// builtin:digits:test, 449 samples".
    public var summary: String {
        let batching =
            batchSize.map { batches == 1 ? ", one minibatch of all \(samples)" : ", \(batches) minibatches of about \($0)" } ?? ""
        let who = modelB.map { "\(modelA) (rows) against \($0) (columns)" } ?? modelA
        let shuffles = null?.first?.first.map { ", p-values from \($0.permutations) shuffles" } ?? ""
        let what =
            neighbours.map { "mutual \($0)-NN alignment of cosine neighbours" }
            ?? "\(kernel) CKA, \(debiased ? "unbiased HSIC" : "biased HSIC")"
        return "\(what): \(who) on \(data), \(samples) samples\(batching)\(shuffles)"
    }
}
