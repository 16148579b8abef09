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
        if activations {
            lines.append("CKA = \(figures.figures[0].text)  (\(result.summary))")
        } else {
            lines.append(result.summary)
            var table = Table(
                [result.modelB == nil ? "layer" : "A \\ B"] + result.columnLayers, rightAligned: Set(1...result.columnLayers.count))
            for row in result.rowLayers {
                table.append([row] + result.columnLayers.map { figures["cka." + CKAMatrix.key(row, $0)]!.text })
            }
            lines.append(table.text)
        }
        return (lines + figures.caveats.map { "note: " + $0.text }).joined(separator: "\n")
    }

    /// The result for a terminal: what was matched to what, then its figures and caveats.
    public static func rebasin(_ r: RebasinResult) -> String {
        "\(r.method.rawValue) matching of \(r.modelB) to \(r.modelA)" + (r.data.map { " on \($0)" } ?? "") + "\n" + r.figures.text
    }

    /// The result for a terminal: what was compared, one row per stage, then the caveats.
    public static func randomisation(_ r: ModelRandomisationResult) -> String {
        let order = r.options.order == .cascading ? "cascading from the output down" : "one layer at a time"
        let head =
            "\(r.model) on \(r.data): \(r.samples.count) sample\(r.samples.count == 1 ? "" : "s"), LRP \(r.options.configuration.name), target \(r.options.target), layers re-initialised \(order) (seed \(r.options.seed)); ρ: Spearman's rank correlation with the trained model's maps, mean and std over the samples"
        return ([head, r.stageTable.text] + r.figures.caveats.map { "note: " + $0.text }).joined(separator: "\n")
    }
}
