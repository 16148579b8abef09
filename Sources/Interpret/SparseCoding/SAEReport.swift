import Foundation
import LinAlg

/// Everything known about one SAE on one set of activations: what a report section, a probe run
/// of type `sae` or the workbench's summary panel shows.
public struct SAEReport: Codable, Sendable, Equatable {
    public var architecture: SAEArchitecture
    public var inputSize: Int
    public var latents: Int
    public var k: Int
    public var source: String
    public var training: SAETrainingSummary?
    public var metrics: SAEMetrics
    public var darkMatter: DarkMatterReport?
    /// Given the true features of synthetic data: how well the decoder rows recover them.
    public var recovery: FeatureRecovery?
    /// A matching-pursuit SAE: the residual left after each pursuit step.
    public var pursuit: PursuitCurve?
    /// On a transformer's hook point, why the model's loss with the SAE spliced in was not
    /// measured (nil when it was, or the source is no text).
    public var languageModelNotMeasured: String?
}

/// What to measure besides the metrics.
public struct SAEAnalysisOptions: Sendable {
    /// Dark matter on a random subset of at most this many samples (0: skip it; skipped too
    /// when there are fewer than `DarkMatter.minimumSamples`).
    public var darkMatterSamples: Int
    /// True feature directions [features, d_in], for synthetic data.
    public var trueFeatures: Matrix<Float>?
    public var batchSize: Int
    public var seed: UInt64
    /// A matching-pursuit SAE's residual curve is measured on the first this many samples.
    public var pursuitSamples: Int

    public init(
        darkMatterSamples: Int = 16384, trueFeatures: Matrix<Float>? = nil, batchSize: Int = 1024, seed: UInt64 = 0,
        pursuitSamples: Int = 4096
    ) {
        self.pursuitSamples = pursuitSamples
        self.darkMatterSamples = darkMatterSamples
        self.trueFeatures = trueFeatures
        self.batchSize = batchSize
        self.seed = seed
    }
}

public enum SAEAnalysis {
    /// Metrics (with the downstream effect for a model layer), dark matter and feature recovery
    /// of an SAE on a source. Throws `CancellationError` when `progress` says stop.
    public static func analyse(
        _ sae: SparseAutoencoder<Float>, on source: ActivationSource,
        options: SAEAnalysisOptions = SAEAnalysisOptions(),
        progress: ProgressHandler = { _, _ in true }
    ) throws -> SAEReport {
        var metrics = try sae.evaluate(on: source, batchSize: options.batchSize) { f, status in progress(0.6 * f, status) }
        var languageModelNotMeasured: String?
        if let text = source as? TextHookSource {
            if !text.model.config.causal || !text.model.hasHead {
                languageModelNotMeasured = "\(text.model.name) is no causal language model with a head"
            } else if !text.model.canSplice(text.hook) {
                languageModelNotMeasured =
                    "an SAE is spliced into a block's hook_resid_pre/mid/post, hook_attn_out, mlp.hook_post or hook_mlp_out, not \(text.hook)"
            } else {
                metrics.languageModel = try LanguageModelEffect.measure(sae, on: text) { f, status in progress(0.6 + 0.2 * f, status) }
            }
        }
        var darkMatter: DarkMatterReport?
        let darkMatterSamples = min(source.count, options.darkMatterSamples)
        if darkMatterSamples > 0 && darkMatterSamples >= DarkMatter.minimumSamples(inputSize: sae.inputSize) {
            guard progress(0.8, "dark matter") else { throw CancellationError() }
            var rng = SeededRandom(seed: options.seed)
            let n = darkMatterSamples
            let x = n == source.count ? try source.all() : try source.rows(at: rng.sample(n, from: source.count).sorted())
            darkMatter = try DarkMatter.analyse(x: x, reconstruction: sae.reconstruct(x), seed: options.seed).report
        }
        let recovery = try options.trueFeatures.map { try FeatureRecovery(truth: $0, learned: sae.decoder) }
        let pursuit =
            sae.architecture == .matchingPursuit
            ? PursuitCurve.measure(sae, on: try source.rows(in: 0..<min(source.count, options.pursuitSamples))) : nil
        _ = progress(1, "done")
        return SAEReport(
            architecture: sae.architecture, inputSize: sae.inputSize, latents: sae.latentCount, k: sae.k,
            source: source.name, training: nil, metrics: metrics, darkMatter: darkMatter, recovery: recovery, pursuit: pursuit,
            languageModelNotMeasured: languageModelNotMeasured)
    }

    /// Trains an SAE and analyses it on the same activations: a probe's `sae` run in one call.
    /// Training is the first 90 % of the progress, its status the step's loss, L0 and FVU.
    public static func trainAndAnalyse(
        on source: ActivationSource, training: SAETrainingOptions,
        analysis: SAEAnalysisOptions = SAEAnalysisOptions(),
        progress: ProgressHandler = { _, _ in true }
    ) throws -> (run: SAETrainingRun, report: SAEReport) {
        try trainAndAnalyse(
            SAETrainingSession(source: source, options: training), evaluatingOn: source, analysis: analysis, progress: progress)
    }

    /// The same for any training session (a language model's stream), evaluated on `source`.
    public static func trainAndAnalyse(
        _ session: SAETrainingSession, evaluatingOn source: ActivationSource,
        analysis: SAEAnalysisOptions = SAEAnalysisOptions(),
        progress: ProgressHandler = { _, _ in true }
    ) throws -> (run: SAETrainingRun, report: SAEReport) {
        let run = try SAETrainer.train(session) { p in
            let l = p.point.loss
            return progress(
                0.9 * p.fraction,
                String(
                    format: "step %d/%d  loss %.4g  L0 %.1f  FVU %.4f",
                    p.point.step, p.totalSteps, l.total, l.l0, l.fvu))
        }
        var report = try analyse(run.sae, on: source, options: analysis) { f, status in progress(0.9 + 0.1 * f, status) }
        report.training = run.summary
        return (run, report)
    }
}

/// A grid of training runs over one setting, and the L0–FVU frontier: a probe's `sae-sweep` run.
public struct SAESweepReport: Codable, Sendable, Equatable {
    /// "k" or "sparsityCoefficient".
    public var parameter: String
    public var rows: [Row]
    /// Indices of the rows on the L0–FVU frontier (no other row has both lower L0 and lower
    /// FVU), by increasing L0.
    public var frontier: [Int]

    public struct Row: Codable, Sendable, Equatable {
        public var value: Double
        public var l0: Double
        public var fvu: Double
        public var mse: Double
        public var cosine: Double
        public var deadFraction: Double
        public var lossRecovered: Double?
        public var darkMatterR2: Double?
        public var seconds: Double
    }
}

public enum SAESweep {
    /// What the sweep varies.
    public enum Parameter: Sendable {
        case k([Int])
        case sparsityCoefficient([Double])
    }

    /// Trains one SAE per value (the other options as given) and measures each on the source.
    /// `progress` gets the overall fraction and which run is training.
    public static func run(
        on source: ActivationSource, base: SAETrainingOptions, over parameter: Parameter,
        analysis: SAEAnalysisOptions = SAEAnalysisOptions(darkMatterSamples: 0),
        progress: ProgressHandler = { _, _ in true }
    ) throws -> SAESweepReport {
        let values: [Double]
        let name: String
        switch parameter {
        case .k(let ks): values = ks.map(Double.init); name = "k"
        case .sparsityCoefficient(let ls): values = ls; name = "sparsityCoefficient"
        }
        guard !values.isEmpty else { throw InterpretError("an SAE sweep needs at least one value of \(name)") }
        var rows: [SAESweepReport.Row] = []
        for (i, value) in values.enumerated() {
            var options = base
            if case .k = parameter { options.k = Int(value) } else { options.sparsityCoefficient = value }
            let label = "\(name) = \(value) (\(i + 1)/\(values.count))"
            let (run, report) = try SAEAnalysis.trainAndAnalyse(on: source, training: options, analysis: analysis) { f, status in
                progress((Double(i) + f) / Double(values.count), "\(label): \(status)")
            }
            rows.append(
                SAESweepReport.Row(
                    value: value, l0: report.metrics.l0, fvu: report.metrics.fvu, mse: report.metrics.mse,
                    cosine: report.metrics.cosine, deadFraction: report.metrics.deadFraction,
                    lossRecovered: report.metrics.downstream?.lossRecovered,
                    darkMatterR2: report.darkMatter?.errorR2, seconds: run.summary.seconds))
        }
        return SAESweepReport(parameter: name, rows: rows, frontier: frontier(rows.map { ($0.l0, $0.fvu) }))
    }

    /// The Pareto frontier of (L0, FVU) points, both to be minimised, by increasing L0.
    static func frontier(_ points: [(l0: Double, fvu: Double)]) -> [Int] {
        let order = points.indices.sorted { (points[$0].l0, points[$0].fvu) < (points[$1].l0, points[$1].fvu) }
        var kept: [Int] = []
        var best = Double.infinity
        for i in order where points[i].fvu < best {
            kept.append(i)
            best = points[i].fvu
        }
        return kept
    }
}
