import Figures
import Interpret

extension SAEMatchMethod {
    /// Latents listed one by one in a table (unmatched, splits): a report page stays readable
    /// with SAEs of thousands; the counts say how many there are.
    static let shownLatents = 50

    /// The figures `loupe report --json` prints for a run.
    static let headline: Set = ["decoder.share_a", "activation.share_a", "activation.p_value"]

    /// The report section of a matching: what was matched and what it found (from its figures),
    /// the figures, the matched-score curves, the latents left without a partner and the splits.
    public static func section(_ m: LatentMatching, training: [SAETrainingSummary]) -> ReportSection {
        let figures = m.figures
        let threshold = NumberFormat.readable(m.threshold)
        let trained = zip(["A", "B"], training).map { side, t in
            "\(side) reached FVU \(NumberFormat.readable(t.final.fvu)) at L0 \(NumberFormat.readable(t.final.l0)) in \(t.options.steps) steps"
        }
        var text = [
            "Two \(training[0].options.architecture.rawValue) SAEs, A \(m.saeA) and B \(m.saeB), with \(m.latentsA) and \(m.latentsB) latents\(m.data.map { ", compared on \($0)" } ?? ""); in training \(trained.joined(separator: ", ")). Their latents are paired one to one by a maximum-weight assignment, by decoder cosine and by the correlation of their activations; a latent has a partner when its pair scores at least \(threshold)."
        ]
        for criterion in ["decoder", "activation"] {
            guard let a = figures["\(criterion).share_a"], let b = figures["\(criterion).share_b"], let mean = figures["\(criterion).mean"]
            else { continue }
            text.append("By \(criterion): \(a.text) of A's latents and \(b.text) of B's have a partner; \(mean.label) \(mean.text).")
        }
        if let null = m.activation?.null {
            text.append(
                "With B's samples shuffled \(null.permutations) times, the mean matched correlation is \(NumberFormat.readable(null.mean)) ± \(NumberFormat.readable(null.spread)); the observed \(NumberFormat.readable(m.activation!.meanScore)) has p = \(NumberFormat.readable(null.pValue)) = (1 + shuffles at least as high) / (\(null.permutations) + 1)."
            )
        }
        if let agreement = figures["agreement.same_partner"] {
            text.append("Of A's latents with a partner under both criteria, \(agreement.text) have the same one.")
        }
        if !m.splits.isEmpty {
            text.append(
                "\(m.splits.count) of A's latents are split in B: two or more of B's latents have them as their closest decoder direction (cosine ≥ \(threshold))."
            )
        }
        text += figures.caveats.map { "Note: \($0.text)." }
        let pairings = [m.decoder] + (m.activation.map { [$0] } ?? [])
        let curves = pairings.map { p in
            LineSeries(name: p.criterion.rawValue, x: p.sortedScores.indices.map { Double($0 + 1) }, y: p.sortedScores)
        }
        let unmatched: [[Table.Value]] = pairings.flatMap { p in
            [("A", p.unmatchedA), ("B", p.unmatchedB)].map { side, latents in
                [.text(p.criterion.rawValue), .text(side), .number(Double(latents.count)), .text(listed(latents))]
            }
        }
        let splits: [[Table.Value]] = m.splits.prefix(shownLatents).map { s in
            [
                .number(Double(s.latentA)), .text(listed(s.latentsB)),
                .text(s.cosines.map { NumberFormat.readable($0, digits: 3) }.joined(separator: " "))
            ]
        }
        return ReportSection(
            title: "Latent matching: \(m.saeA) vs \(m.saeB)", method: name, text: text,
            tables: [
                ReportTable(name: "figures", title: "Figures", table: figures.reportTable),
                ReportTable(
                    name: "unmatched", title: "Latents without a partner (the first \(shownLatents) of each)",
                    columns: ["criterion", "SAE", "count", "latents"], rows: unmatched),
                ReportTable(
                    name: "splits",
                    title:
                        "Latents of A split in B (most first\(m.splits.count > shownLatents ? "; \(shownLatents) of \(m.splits.count)" : ""))",
                    columns: ["latent of A", "latents of B", "decoder cosines"], rows: splits)
            ],
            plots: [
                ReportPlot.lines(
                    name: "matched", title: "Matched scores, sorted (the matched-score curve)", xLabel: "rank",
                    yLabel: "cosine or correlation", series: curves)
            ],
            headline: figures.values.filter { headline.contains($0.key) })
    }

    /// The first `shownLatents` latents, space-separated.
    private static func listed(_ latents: [Int]) -> String {
        latents.prefix(shownLatents).map(String.init).joined(separator: " ")
    }
}
