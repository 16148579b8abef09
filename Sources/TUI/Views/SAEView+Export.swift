import Figures
import Foundation
import Interpret

/// `e` exports the focused panel's numbers: the training curve (every step), the metrics and
/// dark matter, the density and L0 histograms, the latent table as filtered and sorted on
/// screen (with the effect on every class), or the selected latent's top samples, logit effects
/// and decoder direction.
extension SAEView {
    /// The report of the SAE on screen, once analysed.
    public var report: SAEReport? { findings?.report }

    public var figures: FigureSheet? { report?.figures }

    public func exportTable() -> Table? {
        switch settings.panel {
        case .training:
            guard let run, !run.curve.isEmpty else { return nil }
            return curveTable(run)
        case .metrics: return findings.map { $0.report.figures.exactTable }
        case .density: return findings.map { densityTable($0.report.metrics) }
        case .latents: return findings.flatMap(latentsTable)
        case .latent: return findings.flatMap(latentTable)
        }
    }

    private func curveTable(_ run: TrainingRun) -> Table {
        let names = ["step", "loss", "mse", "sparsity", "auxiliary", "l0", "fvu", "dead_fraction", "learning_rate"]
        return Table(
            columns: names.map { .init($0) },
            rows: run.curve.map { p in
                [
                    .integer(p.step), .number(p.loss.total), .number(p.loss.mse), .number(p.loss.sparsity), .number(p.loss.auxiliary),
                    .number(p.loss.l0), .number(p.loss.fvu), .number(p.deadFraction), .number(p.learningRate)
                ]
            })
    }

    /// The density histogram (bins of log10 frequency, dead latents apart) and the L0 histogram.
    private func densityTable(_ m: SAEMetrics) -> Table {
        var rows: [[Table.Value]] = [[.text("density"), .text("dead"), .missing, .missing, .integer(m.density.dead)]]
        for (b, count) in m.density.counts.enumerated() {
            rows.append([
                .text("density"), .text("log10 frequency"), .number(m.density.edges[b]), .number(m.density.edges[b + 1]), .integer(count)
            ])
        }
        for (n, count) in m.l0Histogram.enumerated() {
            rows.append([.text("l0"), .text("active latents"), .integer(n), .integer(n), .integer(count)])
        }
        return Table(columns: ["histogram", "bin", "low", "high", "count"].map { .init($0) }, rows: rows)
    }

    /// The rows on screen, in their order, with the effect on every class after the table's columns.
    private func latentsTable(_ findings: Findings) -> Table? {
        guard let filtered else { return nil }
        let classes = findings.effects.compactMap { $0?.count }.max() ?? 0
        let names =
            ["latent", "frequency", "mean_activation", "max_activation", "top_class", "top_class_effect"]
            + (0..<classes).map { "effect_class_\($0)" }
        return Table(
            columns: names.map { .init($0) },
            rows: TableWidget.visibleRows(filtered, settings.table).map { r in
                let row = filtered.rows[r]
                let effect = findings.effects[Int(row[0].number!)]
                return row + (0..<classes).map { c in effect.map { .number($0[c]) } ?? .missing }
            })
    }

    /// The selected latent, one row per figure: its top samples (value, label), its effect on
    /// each class, and its decoder direction (one row per input unit).
    private func latentTable(_ findings: Findings) -> Table? {
        guard let j = selectedLatent, let sae = run?.sae else { return nil }
        let labels = workspace.data.labels
        var rows: [[Table.Value]] = findings.top[j].enumerated().map { rank, a in
            [
                .integer(j), .text("top_sample"), .integer(rank + 1), .integer(a.sample), labels.map { .integer($0[a.sample]) } ?? .missing,
                .number(a.value)
            ]
        }
        rows += (findings.effects[j] ?? []).enumerated().map { c, v in
            [.integer(j), .text("logit_effect"), .missing, .integer(c), .missing, .number(v)]
        }
        rows += sae.decoder.row(j).enumerated().map { u, v in
            [.integer(j), .text("decoder"), .missing, .integer(u), .missing, .number(Double(v))]
        }
        return Table(columns: ["latent", "part", "rank", "index", "label", "value"].map { .init($0) }, rows: rows)
    }
}
