import Figures
import Interpret
import Networks

/// `method = "interp"`: the exact linear interpreter of a ReLU / max-pool network at chosen
/// samples — per-class templates (rows of A(x)), pixel votes, the bias share of each layer and
/// the exactness residual.
public enum InterpMethod: ProbeMethod {
    public static let name = "interp"
    public static let summary = "linear interpreter f(x) = A(x)·x + b(x): templates, pixel votes, bias shares and residuals"
    public static let parameters = [
        ProbeParameter("model", .model, required: true, about: "a ReLU / max-pool network"),
        ProbeParameter("samples", .integers, about: "the samples to interpret (default [0])")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        try p.checkSampleIndices("samples")
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let alias = run.parameters.string("model")!
        let network = try context.network(alias)
        let data = try context.data(for: run)
        let samples = run.parameters.integers("samples") ?? [0]
        let interpretations = try LinearInterpretation.compute(network: network, data: data, samples: samples, progress: progress)
        let reference = context.reference(alias)
        var tables: [ReportTable] = []
        var plots: [ReportPlot] = []
        let mosaic = ImageMosaic(shape: network.input.image)
        for li in interpretations {
            let classes = li.classNames
            let rows: [[Table.Value]] = classes.indices.map { c in
                [.text(classes[c]), .number(li.scores[c]), .number(li.votes[c].reduce(0, +)), .number(li.bias[c]), .number(li.residuals[c])]
                    + li.biasShares.map { .number($0.perClass[c]) }
            }
            tables.append(
                ReportTable(
                    name: "sample\(li.sample)", title: "Sample \(li.sample): logit = Σ votes + bias, by class",
                    columns: ["class", "logit", "Σ votes", "bias", "residual"] + li.biasShares.map { "bias from \($0.layer)" },
                    rows: rows))
            if let mosaic {
                plots.append(
                    ReportPlot(
                        name: "sample\(li.sample)-templates", title: "Sample \(li.sample): templates A_c (top) and votes A_c ⊙ x (bottom)",
                        content: .heatmap(
                            mosaic.heatmap(
                                rowLabels: ["templates", "votes"], columnLabels: classes,
                                tiles: [li.templates.map { Optional($0) }, li.votes.map { Optional($0) }],
                                valueLabel: "weight", signed: true))))
            }
        }
        let worst = interpretations.map(\.maxResidual).max() ?? 0
        let text = [
            "Near each sample the network is exactly affine: f(x) = A(x)·x + b(x), with the ReLU masks and max-pool winners frozen at x. Row c of A(x) is class c's template; A_c ⊙ x are its pixel votes; b(x) splits into the part each layer's bias contributes. The largest |Σ A_ci x_i + b_c − logit_c| is \(NumberFormat.readable(worst))."
        ]
        return ReportSection(
            title: "Linear interpreter: \(reference)", method: name, text: text, tables: tables, plots: plots,
            headline: ["max residual": worst])
    }
}
