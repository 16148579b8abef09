import ArgumentParser
import Foundation
import LinAlg
import Networks
import TensorIO
import Transformers

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on data and save one layer's activations (or the logits).",
        discussion: reflow(
            """
            The activations are saved as [samples, …] in the layer's own shape. .safetensors and
            .npz files also hold the labels as 'y' (when the data has them) and the activations as
            'x', so they can be used as data again (e.g. `loupe sae train --acts`).

            A transformer checkpoint (a Hugging Face folder: config.json, model.safetensors,
            tokenizer.json; GPT-2, BERT, Llama, Qwen2, Mistral) runs on --text instead of --data,
            and --layer takes a hook point as TransformerLens names it (`loupe inspect` lists
            them). A sample is a token: the .npy gets one row per token, streamed to disk, and
            NAME.tokens.npy beside it the document (its line), context, position and token id of
            each row.

            Examples:
              loupe forward demo:mlp-1 --data builtin:digits:test --layer relu1 \\
                  --out relu1.npy
              loupe forward demo:cnn --data builtin:digits --layer logits \\
                  --out logits.csv
              loupe forward model.safetensors --data x.npy --layer fc2 \\
                  --out acts.safetensors
              loupe forward ./gpt2 --text corpus.jsonl \\
                  --layer blocks.3.hook_resid_post --ctx 128 --out acts.npy
            """)
    )

    @Argument(help: "A .safetensors model, demo:NAME, or a transformer checkpoint folder.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var text: TextOptions
    @Option(help: "The layer whose output to save: a layer name, 'input' or 'logits'; a hook point of a transformer.") var layer: String =
        "logits"
    @Option(help: "Output file: .npy, .csv, .safetensors or .npz.") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Option(help: "Samples per batch.") var batch: Int = 512
    @Flag(help: "Print a summary as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        try OutputFile.validate(out)
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() throws {
        if TextModels.isTextModel(model) {
            guard dataOptions.data == nil, let corpus = try text.corpus() else {
                throw ValidationError("\(model) is a transformer checkpoint: give it --text FILE (.txt or .jsonl), not --data")
            }
            return try runOnText(corpus)
        }
        guard text.text == nil else { throw ValidationError("--text is read by a transformer checkpoint folder; \(model) is not one") }
        let (network, data) = try openModelAndData(model, modelOptions, dataOptions, outputs: [("--out", out)], force: overwrite.force)
        try data.check(against: network)
        let shape = try network.shape(of: layer)
        let bar = ProgressBar("forward")
        var parts: [Matrix<Float>] = []
        for start in stride(from: 0, to: data.count, by: batch) {
            let x = data.x.rows(in: start..<min(start + batch, data.count))
            parts.append(try network.forward(x, capturing: [layer])[layer]!)
            bar.update(Double(start + x.rows) / Double(data.count))
        }
        bar.finish()
        let acts = Matrix.vstack(parts)
        let tensor = try Tensor(acts).reshaped([data.count] + shape)
        var extras: [(String, Tensor)] = []
        if let labels = data.labels { extras.append(("y", Tensor(labels.map { Int64($0) }, shape: [labels.count]))) }
        let header = layer == "logits" ? network.classNames.map { "logit_\($0)" } : nil
        try OutputFile.write(
            main: ("x", tensor), extras: extras, csvHeader: header,
            metadata: ["loupe.model": model, "loupe.layer": layer, "loupe.data": data.name], to: out)
        struct Output: Encodable { let file: String; let layer: String; let shape: [Int] }
        let result = Output(file: out, layer: layer, shape: [data.count] + shape)
        if json { try printJSON(result) } else { Console.print("wrote \(out): \(layer) \(shapeText(result.shape))") }
    }
}
