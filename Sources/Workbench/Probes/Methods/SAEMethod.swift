import Figures
import Interpret

/// `method = "sae"`: train a sparse autoencoder on a layer's activations and evaluate it —
/// reconstruction, sparsity, dead latents, the downstream effect of splicing it in, and the
/// dark matter of its error.
public enum SAEMethod: ProbeMethod {
    public static let name = "sae"
    public static let summary = "train an SAE on a layer and report L0, FVU, density, downstream effect and dark matter"
    public static let parameters = SAEProbeSettings.parameters

    public static func validate(_ p: ProbeParameters) throws { try SAEProbeSettings.validate(p) }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let (source, what) = try SAEProbeSettings.source(run, context)
        let options = SAEProbeSettings.options(run.parameters, seed: context.seed(for: run))
        let (_, r) = try SAEAnalysis.trainAndAnalyse(on: source, training: options,
                                                     analysis: SAEAnalysisOptions(seed: context.seed(for: run)), progress: progress)
        let m = r.metrics
        var text = ["A \(r.architecture.rawValue) SAE with \(r.latents) latents\(r.architecture.usesK ? ", k = \(r.k)" : "") on \(what) (d_in = \(r.inputSize), \(m.samples) samples), trained for \(options.steps) steps of \(options.batchSize); evaluated on the same activations."]
        var rows: [[Table.Value]] = [
            ["L0 (mean active latents)", .number(m.l0)], ["fraction of variance unexplained", .number(m.fvu)],
            ["explained variance", .number(m.explainedVariance)], ["MSE per feature", .number(m.mse)],
            ["cosine(x, x̂)", .number(m.cosine)], ["shrinkage ‖x̂‖/‖x‖", .number(m.shrinkage)],
            ["dead fraction", .number(m.deadFraction)], [.text("dense fraction (> \(NumberFormat.readable(m.denseThreshold)))"), .number(m.denseFraction)]]
        var headline = ["L0": m.l0, "FVU": m.fvu, "dead fraction": m.deadFraction]
        if let d = m.downstream {
            rows += [["clean accuracy", .number(d.cleanAccuracy)], ["accuracy with the SAE spliced in", .number(d.splicedAccuracy)],
                     ["accuracy with the layer zeroed", .number(d.zeroAblatedAccuracy)], ["loss recovered", .number(d.lossRecovered)]]
            headline["loss recovered"] = d.lossRecovered
        }
        var tables = [ReportTable(name: "metrics", title: "Metrics", columns: ["metric", "value"], rows: rows)]
        if let dm = r.darkMatter {
            tables.append(ReportTable(name: "dark-matter", title: "Dark matter: the error e = x − x̂ predicted linearly from x (held-out half)",
                                      columns: ["figure", "value"], rows: [
                                        ["R² of e", .number(dm.errorR2)], ["R² of ‖e‖²", .number(dm.errorNormR2)],
                                        ["FVU", .number(dm.fvu)], ["FVU with the linear correction", .number(dm.correctedFVU)],
                                        ["nonlinear share of the error", .number(dm.nonlinearFraction)]]))
            headline["dark matter R²"] = dm.errorR2
            text.append(dm.errorR2 > 0
                ? "On held-out samples \(NumberFormat.readable(100 * dm.errorR2)) % of the error's variance is a linear function of the input (its linearly predictable \"dark matter\"); the rest is nonlinear."
                : "A linear map from the input does not predict the error on held-out samples (R² = \(NumberFormat.readable(dm.errorR2)), fitted on \(dm.trainSamples) samples): no linearly predictable dark matter is found here.")
        }
        var plots: [ReportPlot] = []
        if let history = r.training?.history, !history.isEmpty {
            let steps = history.map { Double($0.step) }
            plots.append(ReportPlot(name: "training", title: "Training: FVU and L0 / d_in per step", content: .lines(PlotLines(
                xLabel: "step", yLabel: "value", series: [
                    LineSeries(name: "FVU", x: steps, y: history.map(\.loss.fvu)),
                    LineSeries(name: "L0 / d_in", x: steps, y: history.map { $0.loss.l0 / Double(r.inputSize) })]))))
        }
        let bins = m.density.counts.indices.map { NumberFormat.readable(m.density.edges[$0], digits: 3) }
        plots.append(ReportPlot(name: "density", title: "Latent density: how often each latent fires (log10)", content: .bars(PlotBars(
            labels: ["dead"] + bins, values: ([m.density.dead] + m.density.counts).map(Double.init), valueLabel: "latents"))))
        plots.append(ReportPlot(name: "l0", title: "Active latents per sample", content: .bars(PlotBars(
            labels: m.l0Histogram.indices.map(String.init), values: m.l0Histogram.map(Double.init), valueLabel: "samples"))))
        return ReportSection(title: "SAE on \(what.replacingOccurrences(of: "`", with: ""))", method: name, text: text,
                             tables: tables, plots: plots, headline: headline)
    }
}
