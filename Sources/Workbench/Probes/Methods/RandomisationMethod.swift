import Figures
import Interpret
import Networks

/// `method = "randomisation"`: the model-randomisation sanity check of LRP (Adebayo et al.
/// 2018): the rank correlation of the trained model's maps with those of copies whose layers
/// are re-initialised from the output down, stage by stage, and one sample's map at each stage.
public enum RandomisationMethod: ProbeMethod {
    public static let name = "randomisation"
    public static let summary = "model-randomisation sanity check: rank correlation of LRP maps as layers are re-initialised top-down"
    public static let parameters = [
        ProbeParameter("model", .model, required: true, about: "the model to explain"),
        ProbeParameter("composite", .string, choices: LRPComposite.names, about: "the LRP composite (default epsilon-plus)"),
        ProbeParameter("target", .string, about: "\"predicted\" (default), \"label\", or a class as a string (\"3\" or its name)"),
        ProbeParameter(
            "samples", .integer, about: "the first this many samples are compared (default \(ModelRandomisationOptions().samples))"),
        ProbeParameter(
            "order", .string, choices: RandomisationOrder.allCases.map(\.rawValue),
            about: "cascading (default: from the output down, cumulatively) or independent (one layer at a time)"),
        ProbeParameter("sample", .integer, about: "the sample whose map is shown at every stage (default 0)")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        if let n = p.integer("samples"), n < 1 { throw WorkbenchError("samples must be at least 1") }
        if let s = p.integer("sample"), s < 0 { throw WorkbenchError("sample: \(s) is not a sample index (0, 1, 2, …)") }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let alias = p.string("model")!
        let network = try context.network(alias)
        let data = try context.data(for: run)
        let defaults = ModelRandomisationOptions()
        let options = ModelRandomisationOptions(
            seed: context.seed(for: run), samples: p.integer("samples") ?? defaults.samples,
            configuration: LRPConfiguration(
                composite: try p.string("composite").map(LRPComposite.parse) ?? defaults.configuration.composite),
            target: try AttributionTarget.parse(p.string("target") ?? defaults.target.description, classNames: network.classNames),
            order: p.string("order").flatMap(RandomisationOrder.init) ?? defaults.order)
        let check = try ModelRandomisation(network: network, options: options)
        let result = try check.compute(data: data, progress: progress)
        let sample = p.integer("sample") ?? 0
        let maps = try check.maps(of: sample, in: data)
        return section(result, maps: (sample, maps), input: network.input.image, reference: context.reference(alias))
    }

    /// The report section of a check, with `maps` (a sample and its map at every stage) as a
    /// mosaic when the input is an image of `input` [channels, height, width].
    public static func section(
        _ r: ModelRandomisationResult, maps: (sample: Int, maps: [[Float]])?, input: [Int]?, reference: String
    ) -> ReportSection {
        let figures = r.figures
        let stages = r.stages.indices.map(Double.init)
        var plots = [
            ReportPlot.lines(
                name: "rank-correlation", title: "Rank correlation with the trained model's maps, by stage",
                xLabel: "stage (layers randomised from the output down)", yLabel: "mean Spearman ρ",
                series: [
                    LineSeries(name: "ρ", x: stages, y: r.stages.map(\.meanSpearman)),
                    LineSeries(name: "ρ of |R|", x: stages, y: r.stages.map(\.meanAbsoluteSpearman))
                ])
        ]
        if let maps, let mosaic = ImageMosaic(shape: input) {
            plots.append(
                ReportPlot(
                    name: "maps", title: "Relevance of sample \(maps.sample) at each stage",
                    content: .heatmap(
                        mosaic.heatmap(
                            rowLabels: ["sample \(maps.sample)"], columnLabels: r.stages.indices.map { r.stageLabel($0) },
                            tiles: [maps.maps.map { $0.map(Double.init) }], valueLabel: "relevance", signed: true))))
        }
        let order =
            r.options.order == .cascading
            ? "re-initialised from the output down, one more layer per stage" : "re-initialised one layer per stage, the others trained"
        let text =
            [
                "LRP (\(r.options.configuration.name), target \(r.options.target)) of `\(reference)` on `\(r.data)` against the same architecture with its layers \(order) (seed \(r.options.seed)), over the first \(r.samples.count) samples. ρ is Spearman's rank correlation between a sample's trained and randomised maps, averaged over the samples; maps that explain the model should lose their likeness as its weights are destroyed (Adebayo et al. 2018)."
            ] + figures.caveats.map { "Note: \($0.text)." }
        return ReportSection(
            title: "Model randomisation: \(reference), \(r.options.configuration.name), \(r.options.order.rawValue)", method: name,
            text: text,
            tables: [ReportTable(name: "stages", title: "Rank correlation with the trained model's maps", table: r.stageTable)],
            plots: plots,
            headline: figures.values.filter {
                $0.key == "spearman.stage_\(r.stages.count - 1)" || $0.key == "abs_spearman.stage_\(r.stages.count - 1)"
            })
    }
}
