import Figures
import Interpret

/// `e` exports the focused panel's numbers: the whole spectrum, the shown eigenvectors (one
/// row each, components as columns v0 … so that a row reshapes to the image), the truncation
/// curve, or every term of the sample's contributions.
extension BilinearView {
    public func exportTable() -> Table? {
        guard let shown else { return nil }
        switch settings.panel {
        case .spectrum: return spectrumTable(shown)
        case .eigenvectors: return eigenvectorTable(shown)
        case .truncation:
            guard case .done(let curve) = truncation else { return nil }
            return truncationTable(curve)
        case .contributions:
            guard case .success(let contribution) = shown.sample else { return nil }
            return contributionTable(contribution, shown)
        }
    }

    private func spectrumTable(_ shown: Shown) -> Table {
        let λ = shown.spectrum.eigenvalues
        let marked = Set((shown.spectrum.positive + shown.spectrum.negative).map(\.index))
        return Table(
            columns: ["form", "index", "feature", "eigenvalue", "shown"].map { .init($0) },
            rows: λ.indices.map { i in
                [.text(shown.label), .integer(i), .text(featureName(i, λ)), .number(λ[i]), .integer(marked.contains(i) ? 1 : 0)]
            })
    }

    private func eigenvectorTable(_ shown: Shown) -> Table {
        let features = shown.spectrum.positive + shown.spectrum.negative
        let size = features.first?.vector.count ?? 0
        let names =
            ["form", "feature", "index", "eigenvalue", "constant", "nearest_other_feature", "nearest_abs_cos"]
            + (0..<size).map { "v\($0)" }
        return Table(
            columns: names.map { .init($0) },
            rows: features.map { f in
                let nearest = shown.nearest[f.index]
                return [
                    .text(shown.label), .text(featureName(f.index, shown.spectrum.eigenvalues)), .integer(f.index), .number(f.eigenvalue),
                    f.constant.map { .number($0) } ?? .missing, nearest.map { .text($0.name) } ?? .missing,
                    nearest.map { .number($0.cosine) } ?? .missing
                ] + f.vector.map { .number($0) }
            })
    }

    private func truncationTable(_ curve: TruncationCurve) -> Table {
        Table(
            columns: ["data", "k", "accuracy", "model_accuracy", "k_for_95_percent"].map { .init($0) },
            rows: curve.ks.indices.map { i in
                [
                    .text(curve.data), .integer(curve.ks[i]), .number(curve.accuracy[i]), .number(curve.modelAccuracy),
                    curve.kFor95Percent.map { .integer($0) } ?? .missing
                ]
            })
    }

    private func contributionTable(_ c: Contribution, _ shown: Shown) -> Table {
        let names = [
            "sample", "label", "predicted", "form", "value", "offset", "index", "feature", "eigenvalue", "projection", "contribution"
        ]
        let λ = shown.spectrum.eigenvalues
        let projections = Dictionary(uniqueKeysWithValues: c.form.top.map { ($0.index, $0.projection) })
        return Table(
            columns: names.map { .init($0) },
            rows: c.form.contributions.indices.map { i in
                [
                    .integer(c.sample.sample), c.sample.label.map { .integer($0) } ?? .missing, .integer(c.sample.predicted),
                    .text(c.form.label), .number(c.form.value), .number(c.form.offset), .integer(i), .text(featureName(i, λ)),
                    .number(λ[i]), .number(projections[i] ?? .nan), .number(c.form.contributions[i])
                ]
            })
    }
}
