import ArgumentParser
import Foundation
import Networks
import TensorIO
import Transformers

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a small network (MLP, bilinear MLP, CNN or ResNet) with cross-entropy, or a GPT-2 on text.",
        discussion: reflow(
            """
            --arch takes a short spec or a loupe.arch JSON file whose linear, bilinear and conv2d
            layers give their size in "out" (and conv2d its "kernel"):
              mlp:64-256-256-10            linear layers with ReLU between them
              bilinear:64-64-10            bilinear 64→64, linear readout 64→10
              bilinear:64-64-64-10         linear embedding, bilinear, readout
              cnn:1x8x8-c16-p2-c32-p2-10   cN conv 3×3 + ReLU (cNkK for K×K), pK max-pool,
                                           aK avg-pool, g global avg-pool, then linear sizes
              resnet:1x8x8-c16-r-p2-c32-r-g-10
                                           the same with batchnorm after each conv, and r a
                                           residual block (conv-bn-ReLU-conv-bn, + input, ReLU)
              gpt2:l4-d128-h4-c128         GPT-2 language model (with --text): 4 layers,
                                           width 128, 4 heads, 128-token context; MLP
                                           4×width, vocabulary from --tokenizer

            Batchnorm layers normalise each batch by its own statistics while training and
            keep running statistics (momentum 0.1) for evaluation, as torch does; the saved
            model has them folded into the convolutions before them.

            Examples:
              loupe train --arch mlp:64-128-10 --data builtin:digits:train --epochs 20 \\
                  --seed 1 --out mlp.safetensors
              loupe train --arch cnn:1x8x8-c8-p2-10 --data builtin:digits:train \\
                  --validation builtin:digits:test --epochs 10 --out cnn.safetensors
              loupe train --arch gpt2:l2-d64-h2-c64 --text corpus.txt \\
                  --tokenizer tokenizer.json --steps 200 --out tiny-gpt2

            With --text, --out is a Hugging Face checkpoint folder (config.json,
            model.safetensors, tokenizer.json) that transformers' GPT2LMHeadModel opens too.
            Each step reads --batch windows of context + 1 tokens at seeded random places
            of the text (documents joined by <|endoftext|>), and trains AdamW (weight
            decay on the blocks' matrices only) with gradient clipping, a linear warm-up
            and a cosine decay to a tenth of --lr. Every --holdout-every-th line is held
            out, and the mean next-token loss on it is reported at the end.
            """)
    )

    @Option(help: "Architecture: a short spec (see above) or a JSON file.") var arch: String
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Held-out data evaluated after every epoch.") var validation: String?
    @Option(help: "Passes over the data (default \(Self.defaultEpochs); with --text give --steps).") var epochs: Int?
    @Option(help: "Samples per minibatch (default \(Self.defaultBatch); with --text, contexts per step, default \(LM.defaults.batchSize)).")
    var batch: Int?
    @Option(help: "adam or sgd (with momentum).") var optimizer: String = "adam"
    @Option(help: "Learning rate (with --text, the peak).") var lr: Double = 1e-3
    @Option(help: "Momentum (sgd).") var momentum: Double = 0.9
    @Option(help: "Decoupled weight decay (adam; default 0; with --text \(LM.defaults.weightDecay), on the blocks' matrices).")
    var weightDecay: Double?
    @Option(help: "Clip the gradient norm to this value (default none; with --text \(LM.defaults.maxGradientNorm ?? 0)).") var clip: Double?
    @Option(help: "Standard deviation of Gaussian noise added to the inputs while training.") var inputNoise: Double?
    @Option(help: "Random seed (initialisation and batch order).") var seed: UInt64 = 0
    @Option(help: "A text to train a GPT-2 on (--arch gpt2:…): a .txt file with a document per line, or .jsonl.") var text: String?
    @Option(help: "The tokenizer.json of --text (copied into the checkpoint).") var tokenizer: String?
    @Option(help: "With --text: optimisation steps (default \(LM.defaults.steps)).") var steps: Int?
    @Option(help: "With --text: learning-rate warm-up steps (default 5 % of the steps).") var warmup: Int?
    @Option(help: "With --text: hold out every N-th line (default \(LM.holdOutEvery)).") var holdoutEvery: Int?
    @Option(help: "Where to save the trained model (.safetensors; with --text a checkpoint folder).") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    typealias LM = LanguageModelOptions
    /// Samples per minibatch of a network's training (a language model's is LM.defaults').
    static let defaultBatch = 64
    static let defaultEpochs = 20

    func validate() throws {
        guard (epochs ?? 1) > 0, (batch ?? 1) > 0, lr > 0 else { throw ValidationError("--epochs, --batch and --lr must be positive") }
        if let inputNoise, !(inputNoise >= 0) { throw ValidationError("--input-noise must be 0 or more") }
        guard ["adam", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adam or sgd") }
        if text != nil || GPT2Spec.isGPT2(arch) { try validateText(); return }
        guard out.lowercased().hasSuffix(".safetensors") else { throw ValidationError("--out must be a .safetensors file") }
        for (option, given) in [
            ("--tokenizer", tokenizer != nil), ("--steps", steps != nil), ("--warmup", warmup != nil),
            ("--holdout-every", holdoutEvery != nil)
        ] where given {
            throw ValidationError("\(option) goes with --text (a GPT-2 trained on text)")
        }
    }

    func run() throws {
        if text != nil { return try runText() }
        try OutputCheck.file(
            out,
            inputs: CommandInputs.data(dataOptions.data) + CommandInputs.data(validation)
                + (arch.hasSuffix(".json") ? CommandInputs.file("the architecture", arch) : []), force: overwrite.force)
        let data = try dataOptions.load()!
        let validationData = try validation.map { try DataSource.load($0, labelColumn: dataOptions.labelColumn) }
        let spec = try architecture(for: data)
        var network = try NetworkFile.untrained(spec, seed: seed)
        let kind: OptimizerKind =
            optimizer == "adam" ? .adam(learningRate: lr, weightDecay: weightDecay ?? 0) : .sgd(learningRate: lr, momentum: momentum)
        let options = TrainingOptions(
            epochs: epochs ?? Self.defaultEpochs, batchSize: batch ?? Self.defaultBatch, optimizer: kind, seed: seed, maxGradientNorm: clip,
            inputNoise: inputNoise)
        let bar = ProgressBar("train")
        let history = try Trainer.train(&network, on: data, validation: validationData, options: options, progress: bar.training())
        bar.finish()
        let lastValidation = history.last { $0.validation != nil }?.validation
        try NetworkFile.save(
            network, to: URL(fileURLWithPath: out),
            extraMetadata: [
                "loupe.trained":
                    "arch=\(arch) data=\(data.name) epochs=\(epochs ?? Self.defaultEpochs) batch=\(batch ?? Self.defaultBatch) optimizer=\(optimizer) lr=\(lr) seed=\(seed)"
            ])
        let train = network.evaluate(data.x, labels: data.labels)!
        struct Output: Encodable {
            let file: String; let parameters: Int; let train: Evaluation; let validation: Evaluation?; let finalLoss: Double
        }
        let result = Output(
            file: out, parameters: network.learnedParameterCount, train: train, validation: lastValidation,
            finalLoss: history.last?.loss ?? .nan)
        if json { try printJSON(result); return }
        Console.print(
            String(
                format: "saved %@ (%d parameters): train accuracy %.2f %%, loss %.4f", out, network.learnedParameterCount,
                100 * train.accuracy,
                train.loss)
                + (lastValidation.map { String(format: "; validation accuracy %.2f %%, loss %.4f", 100 * $0.accuracy, $0.loss) } ?? ""))
    }

    /// A short spec, or a JSON file; digits data gives the input its image shape and range.
    private func architecture(for data: Dataset) throws -> ArchitectureSpec {
        if FileManager.default.fileExists(atPath: arch) {
            return try ArchitectureSpec.decode(Data(contentsOf: URL(fileURLWithPath: arch)), source: arch)
        }
        let isDigits = data.name.hasPrefix("builtin:digits")
        let image = data.sampleShape.count == 3 ? data.sampleShape : (isDigits ? Digits.sampleShape : nil)
        var spec = try ShortSpec.parse(
            arch, name: URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent,
            classes: isDigits ? Digits.classes : nil)
        spec.input.image = spec.input.image ?? image.flatMap { $0.reduce(1, *) == spec.input.shape.reduce(1, *) ? $0 : nil }
        if isDigits { spec.input.range = [0, 1] }
        return spec
    }
}
