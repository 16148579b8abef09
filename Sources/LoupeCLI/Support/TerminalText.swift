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
}
