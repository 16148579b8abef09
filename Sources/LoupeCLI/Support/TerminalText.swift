import Figures
import Interpret

/// Results as the command line prints them for a terminal, each from the result's figure
/// sheet (the description the reports and the workbench render too).
public enum TerminalText {
    /// An SAE report: what it is, then its figures and caveats.
    public static func sae(_ report: SAEReport) -> String {
        report.title + "\n" + report.figures.text
    }

    /// The result for a terminal: what was compared, the matrix (or the one value of two
    /// activation files), then the caveats.
    public static func cka(_ result: CKAMatrix, activations: Bool) -> String {
        let figures = result.figures
        var lines: [String] = []
        /// "p 0.0099, null 0.052 ± 0.004" for a pair with a null.
        func null(_ row: String, _ column: String) -> String? {
            let key = CKAMatrix.key(row, column)
            guard let p = figures["p_value." + key], let mean = figures["null_mean." + key], let spread = figures["null_spread." + key]
            else { return nil }
            return "p \(p.text), null \(mean.text) ± \(spread.text)"
        }
        if activations {
            let (row, column) = (result.rowLayers[0], result.columnLayers[0])
            let value = figures[result.figureKey(row, column)]!.text
            lines.append("\(result.measureName) = \(value)\(null(row, column).map { "  (\($0))" } ?? "")  (\(result.summary))")
        } else {
            lines.append(result.summary)
            func table(_ cell: (String, String) -> String) -> String {
                var table = Table(
                    [result.modelB == nil ? "layer" : "A \\ B"] + result.columnLayers, rightAligned: Set(1...result.columnLayers.count))
                for row in result.rowLayers { table.append([row] + result.columnLayers.map { cell(row, $0) }) }
                return table.text
            }
            lines.append(table { figures[result.figureKey($0, $1)]!.text })
            lines += figures.figures.filter { $0.section == "summary" }.map { "\($0.label): \($0.text)" }
            if result.null != nil {
                lines.append("With the samples of one side shuffled (p-value, and the shuffled values' mean ± standard deviation):")
                lines.append(table { null($0, $1)! })
            }
        }
        return (lines + figures.caveats.map { "note: " + $0.text }).joined(separator: "\n")
    }

    /// The result for a terminal: what was matched to what, then its figures and caveats.
    public static func rebasin(_ r: RebasinResult) -> String {
        "\(r.method.rawValue) matching of \(r.modelB) to \(r.modelA)" + (r.data.map { " on \($0)" } ?? "") + "\n" + r.figures.text
    }

    /// Two SAEs' latents matched: what was compared, the figures, each criterion's curve at a
    /// few ranks, the first latents without a partner, and the largest splits.
    public static func latentMatching(_ r: LatentMatching) -> String {
        var lines = [r.summary, r.figures.text]
        for p in [r.decoder] + (r.activation.map { [$0] } ?? []) where !p.sortedScores.isEmpty {
            let curve = p.sortedScores
            var table = Table(["rank", p.criterion == .decoder ? "cosine" : "correlation"], rightAligned: [0, 1])
            for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0] {
                let i = min(curve.count - 1, Int((q * Double(curve.count - 1)).rounded()))
                table.append(["\(i + 1)", NumberFormat.readable(curve[i])])
            }
            lines.append("matched \(p.criterion.rawValue) scores, sorted:\n" + table.text)
            for (side, unmatched) in [("A", p.unmatchedA), ("B", p.unmatchedB)] where !unmatched.isEmpty {
                let shown = unmatched.prefix(12).map(String.init).joined(separator: " ")
                lines.append(
                    "\(side)'s latents without \(p.criterion == .decoder ? "a decoder" : "an activation") partner: \(shown)\(unmatched.count > 12 ? " … (\(unmatched.count))" : "")"
                )
            }
        }
        for split in r.splits.prefix(5) {
            let parts = zip(split.latentsB, split.cosines).map { "\($0) (\(NumberFormat.readable($1, digits: 3)))" }
            lines.append("A \(split.latentA) splits into B \(parts.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    /// The result for a terminal: what was compared, one row per stage, then the caveats.
    public static func randomisation(_ r: ModelRandomisationResult) -> String {
        let order = r.options.order == .cascading ? "cascading from the output down" : "one layer at a time"
        let head =
            "\(r.model) on \(r.data): \(r.samples.count) sample\(r.samples.count == 1 ? "" : "s"), LRP \(r.options.configuration.name), target \(r.options.target), layers re-initialised \(order) (seed \(r.options.seed)); ρ: Spearman's rank correlation with the trained model's maps, mean and std over the samples"
        return ([head, r.stageTable.text] + r.figures.caveats.map { "note: " + $0.text }).joined(separator: "\n")
    }
}
