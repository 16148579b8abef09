import ArgumentParser
import Figures
import Foundation
import LinAlg
import Networks
import Transformers
import Workbench

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's layers, shapes, parameters and weight norms; with data, its accuracy and activation statistics.",
        discussion: reflow(
            """
            Examples:
              loupe inspect demo:cnn
              loupe inspect demo:mlp-1 --data builtin:digits:test
              loupe inspect model.safetensors --arch model.arch.json --data test.npz \\
                  --json
              loupe inspect ./gpt2        (a checkpoint: its sizes and every hook point)
            """)
    )

    @Argument(help: "A .safetensors model, demo:NAME, or a transformer checkpoint folder.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func run() throws {
        if TextModels.isTextModel(model) { return try inspectCheckpoint() }
        let network = try openModel(model, modelOptions)
        let data = try dataOptions.load(required: false)
        let bar = ProgressBar("inspect")
        let summary = try ModelSummary.compute(network, reference: model, data: data) { bar.update($0) }
        bar.finish()
        if json { try printJSON(summary); return }
        Console.print(
            "\(model)  (\(summary.name))  input \(shapeText(summary.inputShape))  \(summary.classes.count) outputs  \(summary.parameters) parameters"
        )
        // Activation statistics need data; without it their columns are left out.
        let statistics = data != nil
        // A graph's layers say what they read; side branches are marked.
        let graph = summary.layers.contains { $0.inputs != nil }
        var table = Table(
            ["layer", "kind"] + (graph ? ["reads"] : []) + ["input", "output", "parameters", "‖W‖"]
                + (statistics ? ["mean", "std", "zeros", "dead"] : []),
            rightAligned: Set((graph ? 5 : 4)...(graph ? 10 : 9)))
        for l in summary.layers {
            let a = l.activations
            let row =
                [(l.branch == true ? "┆ " : "") + l.name, l.kind] + (graph ? [l.inputs?.joined(separator: ", ") ?? ""] : []) + [
                    shapeText(l.inputShape), shapeText(l.outputShape), l.parameters > 0 ? "\(l.parameters)" : "",
                    l.weightNorm.map { String(format: "%.3f", $0) } ?? ""
                ]
            let activations = [
                a.map { String(format: "%.3f", $0.mean) } ?? "", a.map { String(format: "%.3f", $0.std) } ?? "",
                a.map { String(format: "%.1f %%", 100 * $0.zeroFraction) } ?? "", a.map { "\($0.deadUnits)/\($0.units)" } ?? ""
            ]
            table.append(row + (statistics ? activations : []))
        }
        Console.print(table.text)
        if !statistics { Console.print("(--data adds each layer's activation statistics, and the accuracy and loss)") }
        if let data {
            if let e = summary.evaluation {
                Console.print(String(format: "%@: %d samples, accuracy %.2f %%, loss %.4f", data.name, e.samples, 100 * e.accuracy, e.loss))
            } else {
                Console.print("\(data.name): \(data.count) samples, no labels")
            }
        }
    }
}

extension InspectCommand {
    /// A transformer checkpoint: its sizes, its tokenizer's special tokens, and every hook point
    /// with its width per token.
    func inspectCheckpoint() throws {
        guard dataOptions.data == nil else {
            throw ValidationError("\(model) is a transformer checkpoint: `loupe forward --text` runs it on text")
        }
        let transformer = try TextModels.load(model)
        let c = transformer.config
        struct Output: Encodable {
            let model, modelType: String
            let layers, dModel, heads, kvHeads, headDim, dMLP, vocabulary, positions: Int
            let tokenizer: Bool
            /// Weight-matrix elements read in place from the mapped file, and converted to float32.
            let weightsInPlace, weightsConverted: Int
            let hookPoints: [Point]
            struct Point: Encodable { let name: String, width: Int?, about: String }
        }
        let points = transformer.hookPoints.map { Output.Point(name: $0.name, width: $0.isPattern ? nil : $0.width, about: $0.about) }
        let output = Output(
            model: model, modelType: c.modelType, layers: c.layers, dModel: c.dModel, heads: c.heads, kvHeads: c.kvHeads,
            headDim: c.headDim,
            dMLP: c.dMLP, vocabulary: c.vocabSize, positions: c.maxPositions, tokenizer: transformer.tokenizer != nil,
            weightsInPlace: transformer.weightsInPlace, weightsConverted: transformer.weightsConverted, hookPoints: points)
        if json { return try printJSON(output) }
        let heads = c.kvHeads < c.heads ? "\(c.heads) heads sharing \(c.kvHeads) key/value heads" : "\(c.heads) heads"
        Console.print(
            "\(model)  (\(c.modelType))  \(c.layers) layers, d_model \(c.dModel), \(heads) of \(c.headDim), MLP \(c.dMLP), vocabulary \(c.vocabSize), \(c.maxPositions) positions"
        )
        Console.print(
            "weight matrices: \(NumberFormat.grouped(transformer.weightsInPlace)) values read in place from the memory-mapped file (float32), \(NumberFormat.grouped(transformer.weightsConverted)) converted to float32"
        )
        if let tokenizer = transformer.tokenizer {
            let (before, after) = tokenizer.specialTokens
            let names = { (ids: [Int]) in ids.map { tokenizer.token($0) ?? "\($0)" }.joined(separator: " ") }
            Console.print(
                "tokenizer.json: a text becomes " + ([names(before), "…", names(after)].filter { !$0.isEmpty }.joined(separator: " ")))
        } else {
            Console.print("no tokenizer.json: --text cannot be read")
        }
        var table = Table(["hook point", "width", "what"], rightAligned: [1])
        for p in points { table.append([p.name, p.width.map(String.init) ?? "ctx", p.about]) }
        Console.print(table.text)
    }
}
