import ArgumentParser
import Interpret
import Networks

/// Which samples of the data an attribution command explains: `--index 3`, `--index 0,5,9`, or `--all`.
struct AttributionSamples: ParsableArguments {
    @Option(help: ArgumentHelp("Sample indices into the data, comma-separated.", valueName: "I[,I…]"))
    var index: String?

    @Flag(help: "Every sample of the data.") var all = false

    func validate() throws {
        guard (index == nil) != !all else { throw ValidationError("give --index I (or I,J,…) or --all") }
        if let index, parsedIndices(index) == nil {
            throw ValidationError("--index \(index): expected sample indices such as 3 or 0,5,9")
        }
    }

    func indices(in data: Dataset) -> [Int] {
        index.flatMap(parsedIndices) ?? Array(0..<data.count)
    }

    private func parsedIndices(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
        return values.map { $0! }
    }
}

/// The LRP settings shared by `loupe lrp` and `loupe lrp flip` (defaults as Zennit's).
struct LRPOptions: ParsableArguments {
    @Option(
        name: .customLong("rule"),
        help: ArgumentHelp(
            "A rule for one linear or conv2d layer, replacing the composite's (repeatable). Rules: \(LRPRule.syntax).",
            valueName: "LAYER=RULE"))
    var rules: [String] = []

    @Option(
        help: ArgumentHelp(
            "What to explain: predicted, label, a class, or a direction of comma-separated numbers (one per output).", valueName: "TARGET"))
    var target = "predicted"

    @Option(help: "ε of the ε-rule.") var epsilon = 1e-6
    @Option(help: "γ of the γ-rule.") var gamma = 0.25
    @Option(help: "The stabiliser s in z + s·sign(z) of the other rules.") var stabilizer = 1e-6
    @Flag(help: "Leave biases out of the rules, so that they absorb no relevance.") var ignoreBias = false
    @Option(help: ArgumentHelp("The box of valid inputs for zB (default: the model's input.range).", valueName: "LOW,HIGH"))
    var box: String?

    func validate() throws {
        if let box, parsedBox(box) == nil { throw ValidationError("--box \(box): expected LOW,HIGH with LOW ≤ HIGH, e.g. 0,1") }
        for rule in rules where !rule.contains("=") {
            throw ValidationError("--rule \(rule): expected LAYER=RULE, e.g. fc1=epsilon:0.25")
        }
    }

    /// One configuration for `composite` with these settings.
    func configuration(composite: LRPComposite) throws -> LRPConfiguration {
        var layerRules: [String: LRPRule] = [:]
        for text in rules {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            layerRules[parts[0]] = try LRPRule.parse(parts.count > 1 ? parts[1] : "")
        }
        return LRPConfiguration(
            composite: composite, layerRules: layerRules, epsilon: epsilon,
            gamma: gamma, stabilizer: stabilizer, biasAbsorbsRelevance: !ignoreBias,
            inputBox: box.flatMap(parsedBox))
    }

    func parsedTarget(for network: Network<Float>) throws -> AttributionTarget {
        try AttributionTarget.parse(target, classNames: network.classNames)
    }

    private func parsedBox(_ text: String) -> ClosedRange<Double>? {
        let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 2, v[0] <= v[1] else { return nil }
        return v[0]...v[1]
    }
}
