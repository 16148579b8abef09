import Figures
import Interpret
import Networks

/// `method = "cka"`: centred kernel alignment between the layers of one model, or of two.
public enum CKAMethod: ProbeMethod {
    public static let name = "cka"
    public static let summary = "layer × layer CKA within one model or between two (linear or RBF, plain or debiased, minibatch)"
    public static let parameters = [
        ProbeParameter("models", .models, required: true, about: "one model (its layers against each other) or two"),
        ProbeParameter("layers", .strings, about: "layers of the first model (default: every layer but flatten and softmax)"),
        ProbeParameter("layers_b", .strings, about: "layers of the second model (default: as for the first)"),
        ProbeParameter("kernel", .string, choices: CKAKernel.Kind.allCases.map(\.rawValue), about: "the kernel (default linear)"),
        ProbeParameter(
            "threshold", .number, about: "RBF bandwidth as a fraction of the median distance (default \(CKAKernel.defaultThreshold))"),
        ProbeParameter("debiased", .boolean, about: "use the unbiased HSIC estimator (default false)"),
        ProbeParameter("batch", .integer, about: "minibatch CKA with batches of this size (implies debiased)"),
        ProbeParameter(
            "measure", .string, choices: CKAOptions.Measure.allCases.map(\.rawValue),
            about: "what to compare layers by (default \(CKAOptions().measure.rawValue))"),
        ProbeParameter("neighbours", .integer, about: "k of mutual-knn (default \(CKAOptions().neighbours))"),
        ProbeParameter(
            "permutations", .integer,
            about: "shuffles of the permutation null beside each value (default \(CKAOptions().permutations): none)")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        try p.checkModelCount(1...2)
        if let t = p.number("threshold"), !(t > 0) { throw WorkbenchError("threshold must be positive") }
        if let b = p.integer("batch"), b < 4 { throw WorkbenchError("batch must be at least 4") }
        do { try options(p, seed: 0).validate() } catch { throw WorkbenchError("\(error)") }
    }

    /// The options a run's parameters ask for.
    static func options(_ p: ProbeParameters, seed: UInt64) -> CKAOptions {
        let kernel = CKAKernel(
            p.string("kernel").flatMap(CKAKernel.Kind.init) ?? .linear, threshold: p.number("threshold") ?? CKAKernel.defaultThreshold)
        let defaults = CKAOptions()
        return CKAOptions(
            measure: p.string("measure").flatMap(CKAOptions.Measure.init) ?? defaults.measure,
            neighbours: p.integer("neighbours") ?? defaults.neighbours, kernel: kernel, debiased: p.boolean("debiased") ?? false,
            batchSize: p.integer("batch"), permutations: p.integer("permutations") ?? defaults.permutations, seed: seed)
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let aliases = p.strings("models")!
        let a = try context.network(aliases[0])
        let b = try aliases.count > 1 ? context.network(aliases[1]) : nil
        let m = try LayerCKA.compute(
            a, b, data: context.data(for: run), layersA: p.strings("layers"), layersB: p.strings("layers_b"),
            options: options(p, seed: context.seed(for: run)), progress: progress)
        return section(m, names: aliases.map(context.reference))
    }

    /// The report section of a CKA matrix between the models `names`.
    public static func section(_ m: CKAMatrix, names: [String]) -> ReportSection {
        let figures = m.figures
        var text = ["\(m.summary): rows are layers of `\(names[0])`, columns layers of `\(names.last!)`."]
        let headline = figures.values.filter { $0.key == "summary.mean_corresponding" }
        if let mean = figures["summary.mean_corresponding"] {
            text.append(
                "Corresponding layers: "
                    + m.rowLayers.map { "\($0) \(figures[m.figureKey($0, $0)]!.text)" }.joined(separator: ", ")
                    + "; their \(mean.label) is \(mean.text).")
        }
        text += figures.caveats.map { "Note: \($0.text)." }
        func matrix(_ name: String, _ title: String, _ key: (String, String) -> String) -> ReportTable {
            ReportTable(
                name: name, title: title, columns: ["layer"] + m.columnLayers,
                rows: m.rowLayers.map { row in [.text(row)] + m.columnLayers.map { .number(figures[key(row, $0)]!.value) } })
        }
        var tables = [matrix(m.valueSection.replacingOccurrences(of: "_", with: "-"), m.measureName) { m.figureKey($0, $1) }]
        if let n = m.null?.first?.first?.permutations {
            text.append(
                "Each value has a permutation null: the same measure with the samples of one side shuffled, \(n) times; p = (1 + shuffles at least as high) / (\(n) + 1)."
            )
            tables.append(matrix("p-values", "p-values (\(n) shuffles)") { "p_value." + CKAMatrix.key($0, $1) })
            tables.append(matrix("null-means", "Mean over the shuffles") { "null_mean." + CKAMatrix.key($0, $1) })
        }
        let heatmap = ReportPlot(
            name: "\(m.valueSection.replacingOccurrences(of: "_", with: "-"))-heatmap",
            title: "\(m.measureName), \(names.joined(separator: " vs "))",
            content: .heatmap(
                PlotHeatmap(
                    rowLabels: m.rowLayers, columnLabels: m.columnLayers, values: m.values,
                    valueLabel: m.measureName, signed: false)))
        // The matrix to read, and every figure (closest layers, the summary, the samples) by key.
        let all = ReportTable(name: "figures", title: "Figures", table: figures.reportTable)
        return ReportSection(
            title: "\(m.measureName): \(names.joined(separator: " vs "))", method: name, text: text, tables: tables + [all],
            plots: [heatmap], headline: headline)
    }
}
