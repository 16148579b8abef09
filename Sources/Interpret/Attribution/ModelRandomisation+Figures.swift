import Figures

extension ModelRandomisationResult {
    /// A stage as people read it: "trained model", "down to conv2" (cascading), "only conv2".
    public func stageLabel(_ k: Int) -> String {
        guard let layer = stages[k].layer else { return "trained model" }
        return (options.order == .cascading ? "down to " : "only ") + layer
    }

    /// Per stage the mean rank correlation with the trained model's maps and its spread over
    /// the samples, signed and of |R|; the samples; and the caveats: the description every
    /// front end renders.
    public var figures: FigureSheet {
        var s = FigureSheet()
        for (k, stage) in stages.enumerated() {
            s.add("spearman", "stage_\(k)", "ρ, \(stageLabel(k))", stage.meanSpearman)
        }
        for (k, stage) in stages.enumerated() {
            s.add("spearman_std", "stage_\(k)", "std of ρ, \(stageLabel(k))", stage.spearmanStd)
        }
        for (k, stage) in stages.enumerated() {
            s.add("abs_spearman", "stage_\(k)", "ρ of |R|, \(stageLabel(k))", stage.meanAbsoluteSpearman)
        }
        for (k, stage) in stages.enumerated() {
            s.add("abs_spearman_std", "stage_\(k)", "std of ρ of |R|, \(stageLabel(k))", stage.absoluteSpearmanStd)
        }
        s.add("data", "samples", "samples", Double(samples.count), .count)
        if samples.count < 2 { s.caution("randomisation.one_sample", "one sample: the spreads are 0, not measured") }
        return s
    }

    /// The layers of a stage for reading: "none", "fc1, conv2", or for more than three the
    /// first and last ("fc1 … conv1, 9 layers"), which a table row can hold.
    public static func layerList(_ layers: [String]) -> String {
        switch layers.count {
        case 0: return "none"
        case 1...3: return layers.joined(separator: ", ")
        default: return "\(layers[0]) … \(layers[layers.count - 1]), \(layers.count) layers"
        }
    }

    /// One row per stage: the stage, the layers randomised, mean ρ and its std, mean ρ of |R| and
    /// its std. What `loupe lrp randomise` prints and the report's table holds.
    public var stageTable: Table {
        Table(
            columns: [
                .init("stage"), .init("randomised"), .init("ρ", .fixed(4)), .init("std", .fixed(4)), .init("ρ |R|", .fixed(4)),
                .init("std |R|", .fixed(4))
            ],
            rows: stages.enumerated().map { k, stage in
                [
                    .integer(k), .text(Self.layerList(stage.randomisedLayers)),
                    .number(stage.meanSpearman), .number(stage.spearmanStd), .number(stage.meanAbsoluteSpearman),
                    .number(stage.absoluteSpearmanStd)
                ]
            })
    }
}
