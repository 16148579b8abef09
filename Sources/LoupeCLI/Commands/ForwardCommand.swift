import ArgumentParser
import Foundation
import LinAlg
import Networks
import TensorIO

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on data and save one layer's activations (or the logits).",
        discussion: reflow(
            """
            The activations are saved as [samples, …] in the layer's own shape. .safetensors and
            .npz files also hold the labels as 'y' (when the data has them) and the activations as
            'x', so they can be used as data again (e.g. `loupe sae train --acts`).

            Examples:
              loupe forward demo:mlp-1 --data builtin:digits:test --layer relu1 \\
                  --out relu1.npy
              loupe forward demo:cnn --data builtin:digits --layer logits \\
                  --out logits.csv
              loupe forward model.safetensors --data x.npy --layer fc2 \\
                  --out acts.safetensors
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "The layer whose output to save: a layer name, 'input' or 'logits'.") var layer: String = "logits"
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
