import Figures
import Interpret
import Transformers

/// `method = "sae"`: train a sparse autoencoder on a layer's activations and evaluate it —
/// reconstruction, sparsity, dead latents, the downstream effect of splicing it in, and the
/// dark matter of its error.
public enum SAEMethod: ProbeMethod {
    public static let name = "sae"
    public static let summary = "train an SAE on a layer and report L0, FVU, density, downstream effect and dark matter"
    public static let parameters =
        SAEProbeSettings.parameters + [
            ProbeParameter(
                "max_tokens", .integer,
                about: "a transformer checkpoint: the tokens of the text the SAE is evaluated on (default \(defaultTokens))"),
            ProbeParameter(
                "dashboards", .integers,
                about: "a transformer checkpoint: the latents whose dashboards the report shows (default three, frequent to rare)"),
            ProbeParameter(
                "exclude_special", .boolean, about: "a transformer checkpoint: leave every special token out of the samples"),
            ProbeParameter(
                "buffer", .integer,
                about:
                    "a transformer checkpoint: the shuffling buffer, in contexts (default \(SAETrainingSession.bufferBatches) batches' worth)"
            )
        ]

    /// Tokens of the text an SAE on a transformer is evaluated on, unless the run says.
    static let defaultTokens = 4096
    /// Dashboards shown unless the run names latents.
    static let defaultDashboards = 3

    public static func validate(_ p: ProbeParameters) throws {
        try SAEProbeSettings.validate(p)
        for key in ["max_tokens", "buffer"] {
            if let v = p.integer(key), v < 1 { throw WorkbenchError("\(key) must be at least 1") }
        }
        if let latents = p.integers("dashboards"), latents.contains(where: { $0 < 0 }) {
            throw WorkbenchError("dashboards must list latents (numbers from 0)")
        }
    }

    /// The figures `loupe report --json` prints for a run.
    static let headline: Set = ["metrics.l0", "metrics.fvu", "metrics.dead_fraction", "downstream.loss_recovered", "dark_matter.error_r2"]

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        if context.isTextModel(run.parameters.string("model")!) { return try runOnText(run, context: context, progress: progress) }
        let (source, what) = try SAEProbeSettings.source(run, context)
        let options = SAEProbeSettings.options(run.parameters, seed: context.seed(for: run), samples: source.count)
        let (_, r) = try SAEAnalysis.trainAndAnalyse(
            on: source, training: options,
            analysis: SAEAnalysisOptions(seed: context.seed(for: run)), progress: progress)
        return section(r, on: what)
    }

    /// An SAE on a transformer's hook point: trained from the model as it reads the probe's
    /// text (as `loupe sae train CHECKPOINT --text` does), evaluated with the model on the first
    /// tokens, and shown with dashboards of a few latents.
    static func runOnText(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let alias = p.string("model")!
        let spec = try context.textHook(alias, hook: p.string("layer")!, excludeSpecial: p.boolean("exclude_special") ?? false)
        let options = SAEProbeSettings.options(p, seed: context.seed(for: run), samples: .max)
        let (session, _, contexts) = try spec.trainingSession(options: options, bufferContexts: p.integer("buffer"))
        let tokens = p.integer("max_tokens") ?? defaultTokens
        let evaluated = try spec.source(maxTokens: tokens)
        let (trained, r) = try SAEAnalysis.trainAndAnalyse(
            session, evaluatingOn: evaluated, analysis: SAEAnalysisOptions(seed: context.seed(for: run)),
            progress: { f, status in progress(0.95 * f, status) })
        _ = progress(0.95, "latent dashboards")
        let latents =
            p.integers("dashboards") ?? LatentDashboard.spread(defaultDashboards, frequency: r.metrics.latentFrequency)
        let dashboards = try LatentDashboard.compute(trained.sae, latents: latents, on: evaluated)
        var section = section(
            r, on: "`\(spec.reference)` \(spec.hook)",
            evaluatedOn:
                "trained on the activations as the model read \(spec.text) (shuffled in a buffer of \(contexts) contexts), evaluated on its first \(evaluated.values.rows) tokens"
        )
        section.tables += dashboards.flatMap(\.reportTables)
        section.plots += dashboards.flatMap(\.reportPlots)
        section.text.append(
            "Dashboards of latents \(latents.map(String.init).joined(separator: ", ")): where each fires in the text (by bands of its activation), its histogram, and the tokens it promotes and suppresses through the unembedding."
        )
        return section
    }

    /// The report section of an SAE's report: its figures as a table, its caveats as notes, its
    /// training curve and histograms as plots.
    public static func section(_ r: SAEReport, on what: String, evaluatedOn: String = "evaluated on the same activations") -> ReportSection
    {
        let m = r.metrics
        let figures = r.figures
        let trained = r.training.map { ", trained for \($0.options.steps) steps of \($0.options.batchSize)" } ?? ""
        var text = [
            "A \(r.architecture.rawValue) SAE with \(r.latents) latents\(r.architecture.usesK ? ", k = \(r.k)" : "") on \(what) (d_in = \(r.inputSize), \(m.samples) samples)\(trained); \(evaluatedOn)."
        ]
        if let dm = r.darkMatter, dm.errorR2 > 0 {
            text.append(
                "On held-out samples \(NumberFormat.readable(100 * dm.errorR2)) % of the error's variance is a linear function of the input (its linearly predictable \"dark matter\"); the rest is nonlinear."
            )
        }
        text += figures.caveats.map { "Note: \($0.text)." }
        let tables = [ReportTable(name: "figures", title: "Figures", table: figures.reportTable)]
        let headline = figures.values.filter { SAEMethod.headline.contains($0.key) }
        var plots: [ReportPlot] = []
        if let history = r.training?.history, !history.isEmpty {
            let steps = history.map { Double($0.step) }
            plots.append(
                ReportPlot.lines(
                    name: "training", title: "Training: FVU and L0 / d_in per step", xLabel: "step", yLabel: "value",
                    series: [
                        LineSeries(name: "FVU", x: steps, y: history.map(\.loss.fvu)),
                        LineSeries(name: "L0 / d_in", x: steps, y: history.map { $0.loss.l0 / Double(r.inputSize) })
                    ]))
        }
        if let pursuit = r.pursuit {
            plots.append(
                ReportPlot.lines(
                    name: "pursuit", title: "Matching pursuit: residual energy Σ‖r_t‖² / Σ‖x − b_dec‖² after each step",
                    xLabel: "step", yLabel: "fraction left",
                    series: [
                        LineSeries(
                            name: "residual", x: pursuit.residualEnergy.indices.map(Double.init), y: pursuit.residualEnergy)
                    ]))
        }
        let bins = m.density.counts.indices.map { NumberFormat.readable(m.density.edges[$0], digits: 3) }
        plots.append(
            ReportPlot(
                name: "density", title: "Latent density: how often each latent fires (log10)",
                content: .bars(
                    PlotBars(
                        labels: ["dead"] + bins, values: ([m.density.dead] + m.density.counts).map(Double.init), valueLabel: "latents"))))
        plots.append(
            ReportPlot(
                name: "l0", title: "Active latents per sample",
                content: .bars(
                    PlotBars(
                        labels: m.l0Histogram.indices.map(String.init), values: m.l0Histogram.map(Double.init), valueLabel: "samples"))))
        return ReportSection(
            title: "SAE on \(what.replacingOccurrences(of: "`", with: ""))", method: name, text: text,
            tables: tables, plots: plots, headline: headline)
    }
}
