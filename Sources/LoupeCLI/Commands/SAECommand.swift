import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import Transformers

/// `loupe sae …`: sparse autoencoders in SAELens's layout.
struct SAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sae",
        abstract: "Train, evaluate and apply sparse autoencoders (SAELens layout).",
        discussion: reflow(
            """
            An SAE is a directory with cfg.json and sae_weights.safetensors, as
            SAELens writes it: SAEs trained here open in SAELens and SAELens SAEs
            open here. Activations come from a model layer over data (MODEL --layer
            NAME --data DATA) or from a file (--acts FILE; an .npy [N, d] is
            memory-mapped and may be larger than memory).

            Examples:
              loupe sae synth --out synth.npy
              loupe sae train --acts synth.npy -a topk --k 8 --d-sae 512 --out sae-topk
              loupe sae train demo:mlp-1 --layer relu1 --data builtin:digits:train \\
                  --expansion 4 --out sae-relu1
              loupe sae eval sae-relu1 --data builtin:digits:test
              loupe sae encode sae-topk --acts synth.npy --out codes.npy
            """),
        subcommands: [
            SAETrainCommand.self, SAEEvalCommand.self, SAEEncodeCommand.self, SAESteerCommand.self, SAEDashboardCommand.self,
            SAEMatchCommand.self, SAESynthCommand.self
        ]
    )
}

/// Where the activations come from: a model layer over data, or a file.
struct ActivationOptions: ParsableArguments {
    @Argument(
        help: "A .safetensors model, a transformer checkpoint folder, or demo:NAME, whose layer or hook point to use (or give --acts).")
    var model: String?
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var textSample: TextSampleOptions
    @Option(help: "The model's layer: a layer name, 'input' or 'logits'; a transformer's hook point.") var layer: String?
    @Option(help: ArgumentHelp("Activations [N, d]: .npy (memory-mapped), or .safetensors/.npz with 'x'.", valueName: "FILE"))
    var acts: String?
    @Flag(
        help:
            "--text: leave every special token (<|endoftext|>, [PAD]…) out of the samples, not only those that wrap each context (BOS, [CLS], [SEP]), which are always left out."
    )
    var excludeSpecial = false

    /// The files the activations come from (as `source(recorded:)` would choose them).
    func inputs(recorded info: SAEFileInfo? = nil) -> [OutputCheck.Input] {
        CommandInputs.file("the activations", acts ?? (model == nil && info?.layer == nil ? info?.data : nil))
            + CommandInputs.model(model ?? info?.model, arch: modelOptions.architecture)
            + CommandInputs.data(dataOptions.data ?? info?.data) + CommandInputs.file("the text", textSample.text.text)
    }

    /// The activations, falling back on what an SAE's cfg.json records (model, layer, data).
    func source(recorded info: SAEFileInfo? = nil) throws -> ActivationSource {
        if let acts {
            guard model == nil else { throw ValidationError("give either MODEL (with --layer and --data) or --acts, not both") }
            return try activationFile(acts)
        }
        guard let reference = model ?? info?.model else {
            if let file = info?.data, info?.layer == nil {
                // --data alone names data for a model, and this SAE records none to run it through.
                if let data = dataOptions.data {
                    throw ValidationError(
                        "--data \(data): this SAE was trained on activations from \(file) and records no model; give --acts FILE, or MODEL --layer NAME --data DATA"
                    )
                }
                return try activationFile(file)
            }
            throw ValidationError("no activations: give MODEL --layer NAME --data DATA, or --acts FILE")
        }
        guard let layer = layer ?? info?.layer ?? info?.saeLens?.hookName else {
            throw ValidationError("missing --layer (the layer whose activations to use)")
        }
        if let plan = try textHook(recorded: info) { return try textSource(plan) }
        let dataSpec = dataOptions.data ?? info?.data
        guard let dataSpec else { throw ValidationError("missing --data (e.g. --data builtin:digits:test)") }
        let network = try openModel(reference, modelOptions)
        let data = try DataSource.load(dataSpec, labelColumn: dataOptions.labelColumn)
        return try LayerActivationSource(network: network, layer: layer, data: data)
    }

    /// How a transformer's hook point is read from --text. Without --ctx, --prepend-bos or
    /// --no-bos, an SAE's recorded context_size and prepend_bos are followed. Nil when the
    /// activations are not a transformer's over a text.
    func textHook(recorded info: SAEFileInfo? = nil) throws -> TextHookSpec? {
        guard acts == nil, let reference = model ?? info?.model, TextModels.isTextModel(reference) else { return nil }
        guard let path = textSample.text.text, dataOptions.data == nil else {
            throw ValidationError("\(reference) is a transformer checkpoint: give --text FILE (not --data)")
        }
        guard let hook = layer ?? info?.layer ?? info?.saeLens?.hookName else {
            throw ValidationError("missing --layer (the hook point whose activations to use)")
        }
        let recorded = info?.saeLens
        let model = try TextModels.load(reference)
        let options = textSample.text
        var specials = options.specials
        if !options.prependBos && !options.noBos, let prepend = recorded?.prependBOS {
            specials = !prepend ? .none : model.tokenizer?.specialTokens.before.isEmpty == false ? .tokenizer : .prependBOS
        }
        let cutter = try ContextCutter(for: model, length: options.ctx ?? recorded?.contextSize, specials: specials)
        return TextHookSpec(
            reference: reference, model: model, hook: hook, text: path, corpus: try options.corpus()!, cutter: cutter,
            excludeSpecial: excludeSpecial)
    }

    /// The hook point over the first --max-tokens tokens of the text, in memory, one row per
    /// token (the excluded ones are kept for running the model but are no samples).
    func textSource(_ spec: TextHookSpec) throws -> TextHookSource {
        let bar = ProgressBar("reading \(spec.corpus.url.lastPathComponent)")
        defer { bar.finish() }
        return try spec.source(maxTokens: textSample.maxTokens) { bar.update($0, $1) }
    }

    private func activationFile(_ path: String) throws -> ActivationSource {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(path): no such activation file") }
        if url.pathExtension.lowercased() == "npy" { return try NPYActivations(url) }
        let data = try DataSource.load(path)
        return ActivationMatrix(data.x, name: path)
    }
}

/// Matching pursuit's stopping rules at inference, when the SAE's own are to be overridden.
struct MatchingPursuitOptions: ParsableArguments {
    @Option(help: "Matching pursuit: at most this many steps per sample.") var maxSteps: Int?
    @Option(help: "Matching pursuit: stop when the residual norm falls below this.") var residualThreshold: Double?
    @Flag(inversion: .prefixedNo, help: "Matching pursuit: stop once a step picks an atom already in the code.")
    var stopOnRepeat: Bool?

    func apply(to sae: inout SparseAutoencoder<Float>) throws {
        guard maxSteps != nil || residualThreshold != nil || stopOnRepeat != nil else { return }
        guard sae.architecture == .matchingPursuit else {
            throw ValidationError("--max-steps, --residual-threshold and --stop-on-repeat apply to matching-pursuit SAEs only")
        }
        if let maxSteps {
            guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive") }
            sae.stopping.maxSteps = maxSteps
        }
        if let residualThreshold { sae.stopping.residualThreshold = residualThreshold > 0 ? residualThreshold : nil }
        if let stopOnRepeat { sae.stopping.stopWhenSupportUnchanged = stopOnRepeat }
    }
}

/// Opens an SAE directory as the user named it.
func openSAE(_ path: String) throws -> (sae: SparseAutoencoder<Float>, info: SAEFileInfo?) {
    try SAEFile.load(URL(fileURLWithPath: path))
}
