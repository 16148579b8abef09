import Figures
import Interpret

/// A latent's dashboard as parts of a report, so that a probe writes what `loupe sae dashboard`
/// prints and the workbench's Latents view draws: where it fires (a heatmap of its value at each
/// token around the peak of each excerpt, strongest band first, and the excerpts as a table),
/// how strongly (its histogram), and the tokens it promotes, suppresses and follows.
extension LatentDashboard {
    /// "latent-12": the stem of its tables' and plots' files.
    var stem: String { "latent-\(latent)" }

    /// The excerpt's text with its peak token marked «so».
    static func marked(_ e: Excerpt) -> String {
        e.tokens.enumerated().map { i, t in e.start + i == e.position ? "«\(t)»" : t }.joined()
            .replacingOccurrences(of: "\n", with: " ")
    }

    var reportTables: [ReportTable] {
        let excerpts = bands.flatMap { band in
            band.excerpts.map { e -> [Table.Value] in
                [.text(band.label), .integer(e.context), .integer(e.position), .number(e.value), .text(Self.marked(e))]
            }
        }
        let tokens = (0..<max(promoted.count, suppressed.count, preceding.count)).map { i -> [Table.Value] in
            func cells(_ list: [TokenValue]) -> [Table.Value] {
                i < list.count ? [.text(list[i].text), .number(list[i].value)] : [.missing, .missing]
            }
            return [.integer(i + 1)] + cells(promoted) + cells(suppressed)
                + (i < preceding.count ? [.text(preceding[i].text), .integer(Int(preceding[i].value))] : [.missing, .missing])
        }
        return [
            ReportTable(
                name: "\(stem)-excerpts", title: "Latent \(latent): excerpts by band of its activation («peak»)",
                columns: ["band", "context", "position", "activation", "excerpt"], rows: excerpts),
            ReportTable(
                name: "\(stem)-tokens",
                title: "Latent \(latent): tokens its direction promotes and suppresses through W_U, and that precede it",
                columns: ["rank", "promoted", "logit effect", "suppressed", "logit effect", "preceding", "times"], rows: tokens)
        ]
    }

    var reportPlots: [ReportPlot] {
        let excerpts = bands.flatMap { band in band.excerpts.map { (band.label, $0) } }
        let offsets = Array(-Self.window...Self.window)
        let values = excerpts.map { _, e in
            offsets.map { o -> Double in
                let i = e.position + o - e.start
                return e.values.indices.contains(i) ? e.values[i] : 0
            }
        }
        let top = maxActivation
        return [
            ReportPlot(
                name: "\(stem)-contexts",
                title:
                    "Latent \(latent): its activation at each token around the peak of each excerpt (density \(NumberFormat.percent(density, digits: 2)), max \(NumberFormat.readable(top)))",
                content: .heatmap(
                    PlotHeatmap(
                        rowLabels: excerpts.map { "\($0.0): \(Self.marked($0.1))" },
                        columnLabels: offsets.map { $0 > 0 ? "+\($0)" : "\($0)" },
                        values: values, valueLabel: "activation", signed: false))),
            ReportPlot(
                name: "\(stem)-histogram", title: "Latent \(latent): its non-zero activations",
                content: .bars(
                    PlotBars(
                        labels: histogram.indices.map {
                            "≤ " + NumberFormat.readable(top * Double($0 + 1) / Double(histogram.count), digits: 3)
                        },
                        values: histogram.map(Double.init), valueLabel: "tokens")))
        ]
    }

    /// `count` latents that fire, spread over how often they fire: from the frequent end, the
    /// middle and the rare end of the live latents (`frequency` per latent).
    static func spread(_ count: Int, frequency: [Double]) -> [Int] {
        let live = frequency.indices.filter { frequency[$0] > 0 }.sorted { frequency[$0] > frequency[$1] }
        guard live.count > count else { return live }
        let picks = (0..<count).map { live[Int((Double($0) + 0.5) / Double(count) * Double(live.count))] }
        return Array(Set(picks)).sorted()
    }
}
