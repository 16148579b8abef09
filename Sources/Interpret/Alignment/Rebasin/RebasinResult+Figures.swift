import Figures

extension RebasinResult {
    /// The barriers, accuracies, distances and permutation of a Re-Basin run, and its caveats:
    /// the description every front end renders.
    public var figures: FigureSheet {
        var s = FigureSheet()
        if let naive, let permuted {
            s.add("barriers", "loss_naive", "loss barrier, naive", naive.lossBarrier)
            s.add("barriers", "loss_permuted", "loss barrier, permuted", permuted.lossBarrier)
            s.add("barriers", "accuracy_naive", "accuracy barrier, naive", naive.accuracyBarrier, .fraction)
            s.add("barriers", "accuracy_permuted", "accuracy barrier, permuted", permuted.accuracyBarrier, .fraction)
            if let repaired {
                s.add("barriers", "loss_repaired", "loss barrier, permuted + REPAIR", repaired.lossBarrier)
                s.add("barriers", "accuracy_repaired", "accuracy barrier, permuted + REPAIR", repaired.accuracyBarrier, .fraction)
            }
            if let half = naive.lambdas.firstIndex(of: 0.5) {
                s.add("accuracy", "naive_midpoint", "naive midpoint (λ = ½)", naive.accuracy[half], .fraction)
            }
        } else {
            s.caution(
                "rebasin.no_curves",
                data.map { "\($0) has no labels: no loss or accuracy along λ, and no barriers" }
                    ?? "no data: no loss or accuracy along λ, and no barriers (give labelled --data)")
        }
        if let e = evaluationA { s.add("accuracy", "a", "A", e.accuracy, .fraction) }
        if let e = evaluationB { s.add("accuracy", "b", "B", e.accuracy, .fraction) }
        if let e = evaluationMerged {
            let label = mergedRepaired == true ? "merged (λ = ½, permuted, REPAIR)" : "merged (λ = ½, permuted)"
            s.add("accuracy", "merged", label, e.accuracy, .fraction)
            s.add("loss", "merged", label, e.loss)
        }
        s.add("distance", "naive", "‖θ_A − θ_B‖, naive", distanceNaive)
        s.add("distance", "permuted", "‖θ_A − θ_B‖, permuted", distancePermuted)
        if let d = maxLogitDifference { s.add("distance", "logits", "permuted B against B, largest logit difference", d) }
        if let sweeps { s.add("permutation", "sweeps", "sweeps of weight matching", Double(sweeps), .count) }
        for g in groups {
            s.add("permutation", "\(g.layer).units", "\(g.layer): units", Double(g.size), .count)
            s.add("permutation", "\(g.layer).in_place", "\(g.layer): units in place", Double(g.fixedUnits), .count)
        }
        return s
    }
}

extension RebasinResult {
    /// The curves as columns, one row per λ: `lambda`, then loss and accuracy naive, permuted
    /// and (with REPAIR) repaired; nil without curves. What `loupe rebasin --lmc` and the
    /// Re-Basin view's export write.
    public var curveColumns: (names: [String], rows: [[Double]])? {
        guard let naive, let permuted else { return nil }
        let curves = [("naive", naive), ("permuted", permuted)] + (repaired.map { [("repaired", $0)] } ?? [])
        let names = ["lambda"] + curves.flatMap { ["loss_\($0.0)", "accuracy_\($0.0)"] }
        let rows = naive.lambdas.indices.map { k in [naive.lambdas[k]] + curves.flatMap { [$0.1.loss[k], $0.1.accuracy[k]] } }
        return (names, rows)
    }
}
