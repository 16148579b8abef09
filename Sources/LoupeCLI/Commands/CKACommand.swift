import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import Transformers

struct CKACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cka",
        abstract: "Centred kernel alignment between the layers of one model, or of two.",
        discussion: reflow(
            """
            With one model, every layer is compared with every other; with two, A's
            layers (rows) with B's (columns). CKA is computed in Float64: the linear
            kernel in feature space, ‖YᵀX‖²/(‖XᵀX‖‖YᵀY‖) after centring; the RBF
            kernel on Gram matrices, its bandwidth a fraction (--threshold) of the
            median distance between samples, as in Kornblith et al.'s demo.
            --debiased uses the unbiased HSIC estimator. --batch N computes
            minibatch CKA (Nguyen et al. 2021): unbiased HSIC averaged over shuffled
            batches of about N samples, for data too large for one n×n Gram matrix;
            it implies --debiased.

            --measure mutual-knn compares layers by mutual k-nearest-neighbour
            alignment instead (Huh et al. 2024): the share of each sample's
            --neighbours nearest samples (by cosine similarity) that both layers
            agree on. --permutations N gives every value a permutation null: the
            same value with the samples of one side shuffled, N times (seeded), its
            mean and standard deviation, and the p-value (1 + #{shuffled ≥ observed})
            / (N + 1).

            Examples:
              loupe cka demo:mlp-1 --data builtin:digits:test --out cka.csv
              loupe cka demo:mlp-1 demo:mlp-2 --data builtin:digits --kernel rbf
              loupe cka demo:mlp-1 demo:mlp-2 --data builtin:digits \\
                  --layers relu1,relu2 --debiased --json
              loupe cka demo:cnn --data builtin:digits --batch 256 --epochs 5
              loupe cka --acts x.npy y.npy --debiased
              loupe cka demo:mlp-1 demo:mlp-2 --data builtin:digits:test --permutations 99
              loupe cka --acts x.npy y.npy --measure mutual-knn --neighbours 10 \\
                  --permutations 999
              loupe cka gpt2/ --text corpus.txt --max-tokens 2048
              loupe cka gpt2/ gpt2-seed2/ --text corpus.jsonl \\
                  --layers blocks.0.hook_resid_post,blocks.1.hook_resid_post

            Transformer checkpoints (Hugging Face folders) are compared on --text, each token a
            sample (the first --max-tokens of the text, both models on the same token ids);
            their layers are hook points, by default every block's hook_resid_post.
            """)
    )

    @Argument(help: "One model, or two: .safetensors files or demo:NAME.") var models: [String] = []
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Two activation files [samples, …] (.npy, .csv, or .safetensors/.npz holding x) instead of models.", valueName: "X Y"))
    var acts: [String] = []
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var textSample: TextSampleOptions
    @Option(
        help: ArgumentHelp(
            "Layers of A, comma-separated (default: every layer but flatten and softmax; a transformer's hook_resid_post of every block).",
            valueName: "NAMES"))
    var layers: String?
    @Option(
        name: .customLong("layers-b"), help: ArgumentHelp("Layers of B (default: those of --layers, or every layer).", valueName: "NAMES"))
    var layersB: String?
    @Option(help: "What to compare layers by: CKA, or mutual k-NN alignment.") var measure: CKAOptions.Measure = CKAOptions().measure
    @Option(help: ArgumentHelp("Neighbours of each sample with --measure mutual-knn.", valueName: "K"))
    var neighbours: Int = CKAOptions().neighbours
    @Option(help: ArgumentHelp("Shuffles of the permutation null beside each value (0: none).", valueName: "N"))
    var permutations: Int = CKAOptions().permutations
    @Option(help: "The kernel.") var kernel: CKAKernel.Kind = .linear
    @Option(help: "RBF bandwidth as a fraction of the median distance.") var threshold: Double = CKAKernel.defaultThreshold
    @Flag(help: "Use the unbiased HSIC estimator.") var debiased = false
    @Option(help: ArgumentHelp("Minibatch CKA over batches of about N samples (implies --debiased).", valueName: "N"))
    var batch: Int?
    @Option(help: "Passes over the shuffled data with --batch.") var epochs: Int = 1
    @Option(help: "Seed of the minibatch order and of the shuffles.") var seed: UInt64 = 0
    @Option(
        help:
            "Write the matrix: .csv (with layer names), .npy, .safetensors or .npz (these two also hold the null's p_value, null_mean and null_spread)."
    )
    var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        if acts.isEmpty {
            guard (1...2).contains(models.count) else { throw ValidationError("give one or two models (or --acts X Y)") }
        } else {
            guard acts.count == 2 else { throw ValidationError("--acts takes two files, got \(acts.count)") }
            guard models.isEmpty else { throw ValidationError("give models or --acts, not both") }
        }
        try options.validate()
    }

    var options: CKAOptions {
        CKAOptions(
            measure: measure, neighbours: neighbours, kernel: CKAKernel(kernel, threshold: threshold), debiased: debiased,
            batchSize: batch, epochs: epochs, permutations: permutations, seed: seed)
    }

    func run() throws {
        let inputs =
            models.flatMap { CommandInputs.model($0, arch: modelOptions.architecture) } + CommandInputs.data(dataOptions.data)
            + acts.flatMap { CommandInputs.file("the activations", $0) } + CommandInputs.file("the text", textSample.text.text)
        try checkOutputs([("--out", out)], inputs: inputs, force: overwrite.force)
        let bar = ProgressBar("cka")
        let result: CKAMatrix
        if models.contains(where: TextModels.isTextModel) {
            result = try onText(progress: bar)
        } else if acts.isEmpty {
            let a = try openModel(models[0], modelOptions)
            let b = try models.count == 2 ? openModel(models[1], modelOptions) : nil
            let data = try dataOptions.load()!
            result = try LayerCKA.compute(
                a, b, data: data, layersA: LabelledOutput.names(layers),
                layersB: LabelledOutput.names(layersB) ?? LabelledOutput.names(layers),
                options: options, progress: bar.handler)
        } else {
            let x = try DataSource.load(acts[0]), y = try DataSource.load(acts[1])
            result = try LayerCKA.compute(x.x, y.x, names: (acts[0], acts[1]), options: options, progress: bar.handler)
        }
        bar.finish()
        if let out { try write(result, to: out) }
        if json { try printJSON(result, figures: result.figures); return }
        Console.print(TerminalText.cka(result, activations: !acts.isEmpty))
        if let out { Console.print("wrote \(out)") }
    }

    /// CKA between hook points of one or two transformers, each token of the text a sample.
    private func onText(progress bar: ProgressBar) throws -> CKAMatrix {
        guard textSample.text.text != nil, dataOptions.data == nil else {
            throw ValidationError("transformer checkpoints are compared on text: give --text FILE (not --data)")
        }
        let opened = try models.map { reference -> Transformer in
            guard TextModels.isTextModel(reference) else {
                throw ValidationError(
                    "\(reference) is a network and \(models[0]) a transformer checkpoint; CKA on text compares checkpoints")
            }
            return try TextModels.load(reference)
        }
        let rows = LabelledOutput.names(layers) ?? (0..<opened[0].config.layers).map { "blocks.\($0).hook_resid_post" }
        let columns =
            LabelledOutput.names(layersB)
            ?? (opened.count == 2 ? (0..<opened[1].config.layers).map { "blocks.\($0).hook_resid_post" } : rows)
        let symmetric = opened.count == 1 && rows == columns
        let wanted = opened.count == 2 ? [(opened[0], rows), (opened[1], columns)] : [(opened[0], Array(Set(rows + columns)))]
        let text = try textSample.collect(wanted)
        let b = text.values.count - 1
        return try LayerCKA.compute(
            rows: rows.map { ($0, text.values[0][$0]!) }, columns: symmetric ? nil : columns.map { ($0, text.values[b][$0]!) },
            models: (models[0], models.count == 2 ? models[1] : nil),
            data: "\(textSample.text.text!) (\(text.tokens) tokens in \(text.contexts.count) contexts)", options: options,
            progress: bar.handler)
    }

    private func write(_ r: CKAMatrix, to path: String) throws {
        let matrix = Matrix<Double>(r.values)
        try LabelledOutput.write(
            csvHeader: ["layer"] + r.columnLayers,
            csvRows: zip(r.rowLayers, r.values).map { [$0] + $1.map { "\($0)" } },
            main: (r.valueSection, Tensor(matrix)),
            // With a null, .safetensors and .npz also hold its matrices (a CSV holds the values only).
            extras: r.null.map { null in
                [("p_value", \PermutationNull.pValue), ("null_mean", \.mean), ("null_spread", \.spread)].map { name, field in
                    (name, Tensor(Matrix<Double>(null.map { $0.map { $0[keyPath: field] } })))
                }
            } ?? [],
            metadata: [
                "loupe.model_a": r.modelA, "loupe.model_b": r.modelB ?? r.modelA, "loupe.data": r.data,
                "loupe.rows": r.rowLayers.joined(separator: ","), "loupe.columns": r.columnLayers.joined(separator: ","),
                "loupe.measure": r.measure.rawValue, "loupe.kernel": r.kernel.description, "loupe.debiased": "\(r.debiased)"
            ],
            to: path)
    }
}
