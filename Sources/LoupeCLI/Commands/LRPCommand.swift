import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

/// `loupe lrp`: relevance maps (the default subcommand), pixel flipping (`loupe lrp flip`) and the
/// model-randomisation check (`loupe lrp randomise`).
struct LRPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp",
        abstract: "Layer-wise relevance propagation: relevance maps, and pixel flipping and model randomisation to check them.",
        discussion: reflow(
            """
            Examples:
              loupe lrp demo:cnn --data builtin:digits:test --index 0 \\
                  --out relevance.npy
              loupe lrp flip demo:cnn --data builtin:digits:test --all \\
                  --composite epsilon-plus,deep-taylor
              loupe lrp randomise demo:cnn --data builtin:digits:test
            """),
        subcommands: [LRPExplainCommand.self, LRPFlipCommand.self, LRPRandomiseCommand.self],
        defaultSubcommand: LRPExplainCommand.self
    )
}

struct LRPExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Relevance maps of chosen samples, with the conservation check.",
        discussion: reflow(
            """
            Each explanation starts at the model's scores (before a final softmax) from the explained \
            value u·f(x), u the target's one-hot row or direction, and is passed back layer by layer by \
            the composite's rules exactly as Zennit computes them: activations pass relevance through, \
            max-pooling gives it to each window's winner, average pooling is a bias-free linear layer, \
            batchnorm is folded into the layer before, and a bilinear layer splits it in proportion to \
            each input's share of its quadratic form.

            The output holds the relevance as [samples, input shape]; .safetensors and .npz also hold \
            the inputs ('x'), the target classes ('target', −1 for a direction), the explained values \
            and each sample's conservation error Σ R − u·f(x). With --ignore-bias, --epsilon 0 and \
            --stabilizer 0 that error is 0, except where a unit that receives relevance has a zero \
            bias-free denominator (a blank input window whose activation is all bias).

            Composites: \(LRPComposite.names.joined(separator: ", ")), or one rule on every layer. \
            Rules: \(LRPRule.syntax).

            Examples:
              loupe lrp demo:cnn --data builtin:digits:test --index 0 \\
                  --out relevance.npy
              loupe lrp demo:cnn --data builtin:digits:test --all \\
                  --composite deep-taylor --out maps.safetensors
              loupe lrp demo:mlp-1 --data builtin:digits:test --index 3,4 \\
                  --composite epsilon --rule fc1=zb --target label --out r.csv
              loupe lrp demo:mlp-1 --data builtin:digits:test --index 0 \\
                  --composite lrp0 --ignore-bias --epsilon 0 --out r.npy --json
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var samples: AttributionSamples
    @Option(help: "The composite (or one rule for every layer).") var composite = LRPComposite.epsilonPlus
    @OptionGroup var lrpOptions: LRPOptions
    @Option(help: "Output file: .npy, .csv, .safetensors or .npz.") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Option(help: "Samples per batch.") var batch = 256
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        try OutputFile.validate(out)
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    struct Output: Encodable {
        let model: String, data: String, composite: String, target: String
        let layers: [LRPLayerRule]
        let samples: [Int], classes: [Int?], explained: [Double], relevanceSum: [Double], conservationError: [Double]
        let maxConservationError: Double
        let file: String, shape: [Int]
    }

    func run() throws {
        let (network, data) = try openModelAndData(model, modelOptions, dataOptions, outputs: [("--out", out)], force: overwrite.force)
        let configuration = try lrpOptions.configuration(composite: composite)
        let bar = ProgressBar("lrp")
        let result = try LRPExplanation.compute(
            network: network, data: data, samples: samples.indices(in: data),
            configuration: configuration, target: try lrpOptions.parsedTarget(for: network),
            batchSize: batch, progress: bar.handler)
        bar.finish()
        let n = result.samples.count
        let shape = [n] + result.inputShape
        let relevance = try Tensor(result.relevance.flatMap { $0 }, shape: [n, network.inputSize]).reshaped(shape)
        let inputs = try Tensor(data.x.rows(result.samples)).reshaped(shape)
        try OutputFile.write(
            main: ("relevance", relevance),
            extras: [
                ("x", inputs),
                ("target", Tensor(result.classes.map { Int64($0 ?? -1) }, shape: [n])),
                ("explained", Tensor(result.explained, shape: [n])),
                ("conservation_error", Tensor(result.conservationErrors, shape: [n]))
            ],
            metadata: [
                "loupe.model": model, "loupe.data": data.name, "loupe.composite": configuration.name,
                "loupe.target": result.target.description
            ], to: out)
        let output = Output(
            model: model, data: data.name, composite: configuration.name, target: result.target.description,
            layers: result.layerRules, samples: result.samples, classes: result.classes, explained: result.explained,
            relevanceSum: result.relevanceSums, conservationError: result.conservationErrors,
            maxConservationError: result.maxConservationError, file: out, shape: shape)
        if json { try printJSON(output); return }
        Console.print("\(model) on \(data.name), \(configuration.name), target \(result.target)")
        Console.print("rules: " + result.layerRules.filter { $0.rule != "pass" }.map { "\($0.layer)=\($0.rule)" }.joined(separator: "  "))
        var table = Table(["sample", "label", "target", "explained", "Σ R", "Σ R − explained"], rightAligned: [0, 1, 2, 3, 4, 5])
        for k in 0..<min(n, 20) {
            table.append([
                "\(result.samples[k])", result.labels.map { "\($0[k])" } ?? "", result.classes[k].map(String.init) ?? "u",
                String(format: "%.4f", result.explained[k]), String(format: "%.4f", result.relevanceSums[k]),
                String(format: "%.2e", result.conservationErrors[k])
            ])
        }
        Console.print(table.text)
        if n > 20 { Console.print("… \(n - 20) more samples") }
        Console.print(String(format: "max |Σ R − explained| = %.3e", result.maxConservationError))
        Console.print("wrote \(out): relevance \(shapeText(shape))")
    }
}
