import Figures

extension SAEReport {
    /// Every figure of the report and its caveats, described once: the command line, probe
    /// reports and the workbench all render this.
    public var figures: FigureSheet {
        var s = FigureSheet()
        let m = metrics
        s.add("metrics", "samples", "samples", Double(m.samples), .count)
        s.add("metrics", "l0", "L0 (mean active latents)", m.l0)
        if let spread = Self.spread(m.l0Histogram) {
            s.add("metrics", "l0_min", "L0 least", Double(spread.min), .count)
            s.add("metrics", "l0_median", "L0 median", Double(spread.median), .count)
            s.add("metrics", "l0_max", "L0 most", Double(spread.max), .count)
        }
        s.add("metrics", "fvu", "FVU", m.fvu)
        s.add("metrics", "explained_variance", "explained variance", m.explainedVariance, .fraction)
        s.add("metrics", "mse", "MSE per feature", m.mse)
        s.add("metrics", "cosine", "cosine(x, x̂)", m.cosine)
        s.add("metrics", "shrinkage", "shrinkage ‖x̂‖/‖x‖", m.shrinkage)
        s.add("metrics", "dead_fraction", "dead latents", m.deadFraction, .fraction)
        s.add(
            "metrics", "dense_fraction", "dense latents (> \(NumberFormat.percent(m.denseThreshold, digits: 0)))",
            m.denseFraction, .fraction)
        if let d = m.downstream {
            s.add("downstream", "clean_accuracy", "accuracy, clean", d.cleanAccuracy, .fraction)
            s.add("downstream", "spliced_accuracy", "accuracy, SAE spliced in", d.splicedAccuracy, .fraction)
            s.add("downstream", "zero_ablated_accuracy", "accuracy, layer zeroed", d.zeroAblatedAccuracy, .fraction)
            s.add("downstream", "clean_loss", "loss, clean", d.cleanLoss)
            s.add("downstream", "spliced_loss", "loss, SAE spliced in", d.splicedLoss)
            s.add("downstream", "zero_ablated_loss", "loss, layer zeroed", d.zeroAblatedLoss)
            s.add("downstream", "loss_recovered", "loss recovered", d.lossRecovered)
            s.add("downstream", "agreement", "predictions unchanged", d.agreement, .fraction)
        }
        if let lm = m.languageModel {
            // SAELens's evaluation: every next-token prediction of the contexts, special tokens kept as they are.
            s.add("language_model", "predictions", "next-token predictions", Double(lm.predictions), .count)
            s.add("language_model", "clean_loss", "loss, clean (nats)", lm.cleanLoss)
            s.add("language_model", "spliced_loss", "loss, SAE spliced in", lm.splicedLoss)
            s.add("language_model", "spliced_kl", "KL(clean ‖ spliced) per token", lm.splicedKL)
            s.add("language_model", "zero_ablated_loss", "loss, hook point zeroed", lm.zeroAblatedLoss)
            s.add("language_model", "mean_ablated_loss", "loss, hook point at its mean", lm.meanAblatedLoss)
            s.add("language_model", "loss_recovered", "loss recovered (vs zero ablation)", lm.lossRecovered)
            s.add("language_model", "loss_recovered_mean", "loss recovered (vs mean ablation)", lm.lossRecoveredOverMean)
            s.add("language_model", "error_kept_loss", "loss, x̂ + error spliced in (= clean)", lm.errorKeptLoss)
        }
        if let why = languageModelNotMeasured { s.caution("language_model.not_measured", "language model: not measured: \(why)") }
        if let dm = darkMatter {
            // e = x − x̂ fitted linearly from x on one half of the samples, tested on the other.
            s.add("dark_matter", "train_samples", "samples fitted", Double(dm.trainSamples), .count)
            s.add("dark_matter", "test_samples", "samples tested", Double(dm.testSamples), .count)
            s.add("dark_matter", "error_r2", "R² of e", dm.errorR2)
            s.add("dark_matter", "error_norm_r2", "R² of ‖e‖²", dm.errorNormR2)
            s.add("dark_matter", "fvu", "FVU (tested half)", dm.fvu)
            s.add("dark_matter", "corrected_fvu", "FVU corrected", dm.correctedFVU)
            s.add("dark_matter", "nonlinear_fraction", "nonlinear share of the error", dm.nonlinearFraction)
            // An out-of-sample fit worse than the mean: the held-out half says the split was too small.
            if dm.errorR2 < 0 || dm.nonlinearFraction > 1 {
                s.caution(
                    "dark_matter.worse_than_mean",
                    "dark matter: the linear fit of the error does worse than its mean on the held-out half (R² < 0), "
                        + "so its figures say little: \(inputSize + 1) unknowns per output need many more samples per half")
            }
        } else {
            let needed = DarkMatter.minimumSamples(inputSize: inputSize)
            s.caution(
                "dark_matter.not_measured",
                m.samples < needed
                    ? "dark matter: not measured: it needs at least \(needed) samples for d_in = \(inputSize) (more than the unknowns in each half); there are \(m.samples)"
                    : "dark matter: not measured (turned off)")
        }
        if let r = recovery {
            s.add("recovery", "mmcs", "MMCS (true features)", r.meanMaxCosine)
            s.add("recovery", "recovered_fraction", "recovered (cos ≥ 0.9)", r.recoveredFraction, .fraction)
        }
        if let p = pursuit {
            // The curve at 1, 2, 4, … steps and at its last: the whole curve is a plot.
            let last = p.residualEnergy.count - 1
            for t in Array(sequence(first: 1) { $0 * 2 }.prefix { $0 < last }) + [last] where t > 0 {
                s.add(
                    "pursuit", "residual_after_\(t)", "residual energy after \(t) step\(t == 1 ? "" : "s")", p.residualEnergy[t], .fraction)
            }
        }
        return s
    }

    /// The least, median and most of a histogram of counts per L0 (nil when it is empty).
    static func spread(_ histogram: [Int]) -> (min: Int, median: Int, max: Int)? {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return nil }
        var seen = 0
        let median = histogram.indices.first {
            seen += histogram[$0]; return 2 * seen >= total
        }!
        let used = histogram.indices.filter { histogram[$0] > 0 }
        return (used.first!, median, used.last!)
    }

    /// "topk SAE, d_in 256, d_sae 1024, k 16, on relu1 (449 samples)".
    public var title: String {
        "\(architecture.rawValue) SAE, d_in \(inputSize), d_sae \(latents)" + (architecture.usesK ? ", k \(k)" : "")
            + ", on \(source) (\(metrics.samples) samples)"
    }
}
