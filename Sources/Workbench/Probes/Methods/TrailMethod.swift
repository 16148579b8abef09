import Figures
import Interpret
import Networks

/// `method = "trail"`: units or SAE latents of a layer followed into every other analysis, as
/// the workbench's `@` follows them: each one's top sample and the LRP map of its direction
/// there, its partner in a second model, its Re-Basin unit and its closest bilinear eigenvector.
public enum TrailMethod: ProbeMethod {
    public static let name = "trail"
    public static let summary = "follow units or SAE latents into LRP, a second model, Re-Basin and bilinear eigenvectors"
    public static let parameters =
        SAEProbeSettings.parameters + [
            ProbeParameter(
                "follow_latents", .integers, about: "SAE latents to follow (an SAE is trained on the layer with the settings above)"),
            ProbeParameter("follow_units", .integers, about: "units of the layer to follow (instead of SAE latents)"),
            ProbeParameter(
                "model_b", .model, about: "a second model: each object's best-correlated unit of its layer, and its Re-Basin unit"),
            ProbeParameter(
                "composite", .string, choices: LRPComposite.names, about: "the LRP composite of the maps (default \(TrailMethod.composite))"
            )
        ]

    public static func validate(_ p: ProbeParameters) throws {
        try SAEProbeSettings.validate(p)
        guard (p.integers("follow_latents") == nil) != (p.integers("follow_units") == nil) else {
            throw WorkbenchError("give follow_latents (of an SAE trained on the layer) or follow_units, one of them")
        }
        if let list = p.integers("follow_latents") ?? p.integers("follow_units"), list.isEmpty || list.contains(where: { $0 < 0 }) {
            throw WorkbenchError("\(p.integers("follow_latents") == nil ? "follow_units" : "follow_latents") must list numbers from 0")
        }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let alias = p.string("model")!, layer = p.string("layer")!
        let a = try context.network(alias), data = try context.data(for: run)
        let b = try p.string("model_b").map { try context.network($0) }
        var sae: SparseAutoencoder<Float>?
        var (noun, owner) = ("unit", "")
        if p.integers("follow_latents") != nil {
            let (source, _) = try SAEProbeSettings.source(run, context)
            let options = SAEProbeSettings.options(p, seed: context.seed(for: run), samples: source.count)
            sae = try SAETrainer.train(on: source, options: options) { point in
                progress(0.8 * Double(point.point.step) / Double(point.totalSteps), "training the SAE")
            }.sae
            (noun, owner) = ("latent", " of a \(options.architecture.rawValue) SAE (\(sae!.latentCount) latents, \(options.steps) steps)")
        }
        let objects: [TrailObject] = p.integers("follow_latents")?.map { .latent($0) } ?? p.integers("follow_units")!.map { .unit($0) }
        let rebasin = try b.map { try GitRebasin.run(a, $0).result.groups }
        let composite = try LRPComposite.parse(p.string("composite") ?? Self.composite)
        var trails: [LatentTrail] = []
        var constant: [TrailObject] = []
        for (k, object) in objects.enumerated() {
            do {
                trails.append(
                    try LatentTrail.follow(
                        object, layer: layer, of: a, sae: sae, data: data, b: b, rebasin: rebasin,
                        configuration: LRPConfiguration(composite: composite)))
            } catch let dead as LatentTrail.Constant {
                constant.append(dead.object)
            }
            _ = progress(0.8 + 0.2 * Double(k + 1) / Double(objects.count), "followed \(object)")
        }
        var section = section(
            trails, model: context.reference(alias), modelB: p.string("model_b").map(context.reference), what: (noun, owner), network: a,
            data: data, composite: composite)
        if !constant.isEmpty {
            section.text.append(
                "Left out, constant over \(data.name) (they never fire): \(constant.map(\.description).joined(separator: ", ")).")
        }
        return section
    }

    /// The composite the maps use unless the run names one: the workbench's LRP view's first.
    static let composite = "epsilon-plus"

    /// The report section of followed objects: one table row each, their figures, and their
    /// top samples beside the LRP maps of their directions.
    static func section(
        _ trails: [LatentTrail], model: String, modelB: String?, what: (noun: String, owner: String), network: Network<Float>,
        data: Dataset,
        composite: LRPComposite
    ) -> ReportSection {
        let layer = trails.first?.layer ?? ""
        var text = [
            "\(trails.count) \(what.noun)\(trails.count == 1 ? "" : "s")\(what.owner) of `\(model)` \(layer), each followed to the sample where it is largest, where LRP (\(composite)) explains u·h(x): u the latent's encoder row (a unit's basis vector), h the layer, through the network up to it."
        ]
        if let modelB {
            text.append(
                "Partners are the units of `\(modelB)`'s \(layer) most correlated with each one over the data; Re-Basin units come from weight matching `\(modelB)` onto `\(model)`."
            )
        }
        let sheets = trails.map(\.figures)
        let rows: [[Table.Value]] = trails.map { t in
            [
                .text("\(t.object)"), .number(Double(t.topSample)), .number(t.topActivation), .number(t.explained),
                .number(Double(t.strongestUnit)), t.partner.map { .number(Double($0.unit)) } ?? .missing,
                t.partner.map { .number($0.correlation) } ?? .missing, t.rebasinUnit.map { .number(Double($0)) } ?? .missing,
                t.eigenfeature.map { .text("class \($0.form) #\($0.index)") } ?? .missing,
                t.eigenfeature.map { .number($0.cosine) } ?? .missing
            ]
        }
        let table = ReportTable(
            name: "trail", title: "Where each one leads",
            columns: [
                "object", "top sample", "value there", "u·h(x)", "strongest unit of A", "partner in B", "r", "Re-Basin unit", "eigenvector",
                "|cos|"
            ],
            rows: rows)
        let all = ReportTable(name: "figures", title: "Figures", table: FigureSheet(figures: sheets.flatMap(\.figures)).reportTable)
        var plots: [ReportPlot] = []
        if let mosaic = ImageMosaic(shape: network.input.image) {
            plots.append(
                ReportPlot(
                    name: "maps", title: "Each one's top sample and the relevance of its direction there",
                    content: .heatmap(
                        mosaic.heatmap(
                            rowLabels: trails.map { "\($0.object)" }, columnLabels: ["input", "relevance"],
                            tiles: trails.map { [data.x.row($0.topSample).map(Double.init), $0.relevance.map(Double.init)] },
                            valueLabel: "relevance", signed: true))))
        }
        var headline: [String: Double] = [:]
        let partners = trails.compactMap(\.partner?.correlation)
        if !partners.isEmpty { headline["mean correlation with the partner in B"] = partners.reduce(0, +) / Double(partners.count) }
        return ReportSection(
            title: "Trail: \(model) \(layer)", method: name, text: text, tables: [table, all], plots: plots, headline: headline)
    }
}
