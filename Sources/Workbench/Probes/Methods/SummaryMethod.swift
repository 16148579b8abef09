import Figures
import Interpret
import Networks

/// `method = "summary"`: layers, parameters, accuracy and loss, per-layer activation
/// statistics and weight norms of one model.
public enum SummaryMethod: ProbeMethod {
    public static let name = "summary"
    public static let summary = "layers, parameters, accuracy and loss, activation statistics and weight norms of a model"
    public static let parameters = [
        ProbeParameter("model", .model, required: true, about: "the model to summarise")
    ]

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let alias = run.parameters.string("model")!
        let network = try context.network(alias)
        let data = try context.optionalData(for: run)
        let s = try ModelSummary.compute(network, reference: context.reference(alias), data: data) { _ = progress($0, "forward") }
        var text = [
            "Model `\(s.model)` (\(s.name)): \(s.parameters) parameters, input \(shapeText(s.inputShape)), \(s.classes.count) outputs."
        ]
        var headline: [String: Double] = ["parameters": Double(s.parameters)]
        if let e = s.evaluation {
            text.append(
                "On `\(s.data!)` (\(e.samples) samples): accuracy \(NumberFormat.readable(100 * e.accuracy)) %, mean cross-entropy \(NumberFormat.readable(e.loss))."
            )
            headline["accuracy"] = e.accuracy
            headline["loss"] = e.loss
        }
        let columns = [
            "layer", "kind", "input", "output", "parameters", "weight norm", "bias norm",
            "mean", "std", "min", "max", "zero fraction", "dead units", "dead fraction"
        ]
        let rows: [[Table.Value]] = s.layers.map { l in
            let a = l.activations
            func num(_ x: Double?) -> Table.Value { x.map(Table.Value.number) ?? "" }
            return [
                .text(l.name), .text(l.kind), .text(shapeText(l.inputShape)), .text(shapeText(l.outputShape)),
                .number(Double(l.parameters)), num(l.weightNorm), num(l.biasNorm), num(a?.mean), num(a?.std), num(a?.min),
                num(a?.max), num(a?.zeroFraction), num(a.map { Double($0.deadUnits) }), num(a?.deadFraction)
            ]
        }
        var plots: [ReportPlot] = []
        let withStats = s.layers.filter { $0.activations != nil }
        if !withStats.isEmpty {
            plots.append(
                ReportPlot(
                    name: "zero-fraction", title: "Fraction of zero activations per layer",
                    content: .bars(
                        PlotBars(
                            labels: withStats.map(\.name), values: withStats.map { $0.activations!.zeroFraction },
                            valueLabel: "zero fraction"))))
        }
        return ReportSection(
            title: "Summary of \(context.reference(alias))", method: name, text: text,
            tables: [ReportTable(name: "layers", title: "Layers", columns: columns, rows: rows)],
            plots: plots, headline: headline)
    }
}
