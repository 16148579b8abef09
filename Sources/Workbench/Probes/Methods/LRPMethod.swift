import Figures
import Interpret
import Networks

/// `method = "lrp"`: relevance maps for chosen samples under several composites, the mean
/// |relevance| per class, conservation, and the pixel-flipping check of each composite against
/// random order and gradient × input.
public enum LRPMethod: ProbeMethod {
    public static let name = "lrp"
    public static let summary = "LRP relevance maps per composite, mean |R| per class, conservation and pixel-flipping AUC"
    public static let parameters = [
        ProbeParameter("model", .model, required: true, about: "the model to explain"),
        ProbeParameter(
            "composites", .strings, choices: LRPComposite.names,
            about: "composites to compare (default [\"epsilon-plus\", \"deep-taylor\"])"),
        ProbeParameter("samples", .integers, about: "samples whose maps are shown (default [0, 1, 2, 3])"),
        ProbeParameter("target", .string, about: "\"predicted\" (default), \"label\", or a class as a string (\"3\" or its name)"),
        ProbeParameter("flip_samples", .integer, about: "samples for pixel flipping and the class means (default 100; 0 skips flipping)"),
        ProbeParameter("steps", .integer, about: "pixel-flipping steps (default \(PixelFlippingOptions().steps))")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        try p.checkSampleIndices("samples")
        if let c = p.strings("composites"), c.isEmpty { throw WorkbenchError("composites must name at least one composite") }
        if let n = p.integer("flip_samples"), n < 0 { throw WorkbenchError("flip_samples must be 0 or more") }
        if let n = p.integer("steps"), n < 1 { throw WorkbenchError("steps must be at least 1") }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let alias = p.string("model")!
        let network = try context.network(alias)
        let data = try context.data(for: run)
        let target = try AttributionTarget.parse(p.string("target") ?? "predicted", classNames: network.classNames)
        let configurations = try (p.strings("composites") ?? ["epsilon-plus", "deep-taylor"])
            .map { LRPConfiguration(composite: try LRPComposite.parse($0)) }
        let shown = p.integers("samples") ?? Array(0..<min(4, data.count))
        try Attribution.checkSamples(shown, in: data)
        let many = Array(0..<min(p.integer("flip_samples") ?? 100, data.count))
        let reference = context.reference(alias)

        var tables: [ReportTable] = []
        var plots: [ReportPlot] = []
        var headline: [String: Double] = [:]
        var conservation: [[Table.Value]] = []
        var classMeans: [[Double]] = []
        var maps: [[[Double]?]] = shown.map { [data.x.row($0).map(Double.init)] }
        for (k, configuration) in configurations.enumerated() {
            let step = { (f: Double, s: String) in
                progress((Double(k) + f) / Double(configurations.count + 1), "\(configuration.name): \(s)")
            }
            let shownExplanation = try LRPExplanation.compute(
                network: network, data: data, samples: shown, configuration: configuration,
                target: target, progress: step)
            for i in shown.indices { maps[i].append(shownExplanation.relevance[i].map(Double.init)) }
            let e =
                many.isEmpty
                ? shownExplanation
                : try LRPExplanation.compute(
                    network: network, data: data, samples: many,
                    configuration: configuration, target: target, progress: step)
            let (means, counts) = e.meanAbsoluteRelevanceByClass()
            classMeans.append(zip(means, counts).map { m, n in n == 0 ? .nan : m.reduce(0, +) / Double(m.count) })
            conservation.append([
                .text(configuration.name), .number(e.maxConservationError),
                .number(e.explained.map(abs).max() ?? 0)
            ])
        }
        if let mosaic = ImageMosaic(shape: network.input.image) {
            plots.append(
                ReportPlot(
                    name: "maps", title: "Inputs and their relevance (target: \(target))",
                    content: .heatmap(
                        mosaic.heatmap(
                            rowLabels: shown.map { "sample \($0)" }, columnLabels: ["input"] + configurations.map(\.name),
                            tiles: maps, valueLabel: "relevance", signed: true))))
        }
        tables.append(
            ReportTable(
                name: "conservation", title: "Conservation: largest |Σ R − f| over the samples",
                columns: ["composite", "max conservation error", "max |explained output|"], rows: conservation))
        tables.append(
            ReportTable(
                name: "class-means", title: "Mean |R| per input, by target class",
                columns: ["class"] + configurations.map(\.name),
                rows: network.classNames.indices.map { c in [.text(network.classNames[c])] + classMeans.map { .number($0[c]) } }))
        if !many.isEmpty {
            let flipping = try PixelFlippingResult.compute(
                network: network, data: data, samples: many, methods: configurations, target: target,
                options: PixelFlippingOptions(steps: p.integer("steps") ?? PixelFlippingOptions().steps, seed: context.seed(for: run))
            ) { f, s in
                progress((Double(configurations.count) + f) / Double(configurations.count + 1), "pixel flipping: \(s)")
            }
            plots.append(
                ReportPlot.lines(
                    name: "flipping", title: "Pixel flipping: mean score as the most relevant inputs are removed",
                    xLabel: "fraction of inputs removed", yLabel: "mean explained score",
                    series: flipping.curves.map { LineSeries(name: $0.method, x: flipping.fractions, y: $0.meanScore) }))
            tables.append(
                ReportTable(
                    name: "flipping-auc", title: "Pixel-flipping area under the curve (lower is better)",
                    columns: ["order", "AUC"], rows: flipping.curves.map { [.text($0.method), .number($0.auc)] }))
            for curve in flipping.curves { headline["AUC \(curve.method)"] = curve.auc }
        }
        let text = [
            "LRP of `\(reference)` on `\(data.name)`, explaining the \(target) output from its value f_c(x). Maps for samples \(shown.map(String.init).joined(separator: ", ")); \(many.isEmpty ? "conservation and class means over the samples shown; no pixel flipping (flip_samples = 0)" : "conservation, class means and pixel flipping over the first \(many.count) samples")."
        ]
        return ReportSection(title: "LRP: \(reference)", method: name, text: text, tables: tables, plots: plots, headline: headline)
    }
}
