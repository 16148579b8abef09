import Figures

extension LatentMatching {
    /// The shares, means and unmatched counts of each criterion, the activation null, the
    /// agreement of the two criteria and the splits, and the caveats: the description every
    /// front end renders.
    public var figures: FigureSheet {
        var s = FigureSheet()
        s.add("latents", "a", "latents of A (\(saeA))", Double(latentsA), .count)
        s.add("latents", "b", "latents of B (\(saeB))", Double(latentsB), .count)
        s.add("latents", "threshold", "a partner scores at least", threshold)
        for p in [decoder] + (activation.map { [$0] } ?? []) {
            let what = p.criterion == .decoder ? "decoder cosine" : "activation correlation"
            let section = p.criterion.rawValue
            s.add(section, "share_a", "A's latents with a partner (\(what) ≥ \(NumberFormat.readable(threshold)))", p.shareA, .fraction)
            s.add(section, "share_b", "B's latents with a partner", p.shareB, .fraction)
            s.add(section, "mean", "mean matched \(what)", p.meanScore)
            if !p.sortedScores.isEmpty { s.add(section, "median", "median matched \(what)", p.sortedScores[p.sortedScores.count / 2]) }
            s.add(section, "unmatched_a", "A's latents without a partner", Double(p.unmatchedA.count), .count)
            s.add(section, "unmatched_b", "B's latents without a partner", Double(p.unmatchedB.count), .count)
            if let null = p.null {
                s.add(section, "null_mean", "mean matched \(what), B's samples shuffled", null.mean)
                s.add(section, "null_spread", "its standard deviation over \(null.permutations) shuffles", null.spread)
                s.add(section, "p_value", "p-value of the mean matched \(what)", null.pValue)
            }
        }
        if let agreement { s.add("agreement", "same_partner", "same partner by decoder and by activation", agreement, .fraction) }
        s.add("splits", "latents_a", "latents of A split in B (two or more of B's closest to them)", Double(splits.count), .count)
        if let samples { s.add("data", "samples", "samples the activations were compared on", Double(samples), .count) }
        if latentsA != latentsB {
            s.caution(
                "match.sizes_differ",
                "the SAEs have \(latentsA) and \(latentsB) latents: one-to-one matching leaves at least \(abs(latentsA - latentsB)) latents of the larger without a partner; the splits show where they went"
            )
        }
        if activation == nil {
            s.caution("match.no_activations", "no shared samples were given: latents are matched by decoder direction only")
        }
        return s
    }

    /// "A sae-1 (1024 latents) against B sae-2 (1024 latents)".
    public var summary: String {
        "\(saeA) (\(latentsA) latents) against \(saeB) (\(latentsB) latents)" + (data.map { " on \($0)" } ?? "")
    }
}
