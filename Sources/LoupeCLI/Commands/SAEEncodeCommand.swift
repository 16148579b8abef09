import ArgumentParser
import Foundation
import Interpret
import LinAlg
import TensorIO

struct SAEEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode activations with an SAE and save the codes [samples, d_sae].",
        discussion: reflow(
            """
            .safetensors and .npz files also hold each sample's L0 as 'l0', and the
            labels as 'y' when the data has them. An SAE on a transformer reads the
            hook point its cfg.json names (hook_name) unless --layer is given.

            Examples:
              loupe sae encode sae-topk --acts synth.npy --out codes.npy
              loupe sae encode sae-relu1 demo:mlp-1 --layer relu1 \\
                  --data builtin:digits:test --out codes.safetensors
              loupe sae encode sae-mp --acts resid.npy --stop-on-repeat --out codes.npz
              loupe sae encode sae-resid0 gpt2-folder --text corpus.txt --out codes.npy
            """)
    )

    @Argument(help: "The SAE directory (cfg.json + sae_weights.safetensors).") var sae: String
    @OptionGroup var activations: ActivationOptions
    @OptionGroup var pursuit: MatchingPursuitOptions
    @Option(help: "Samples per batch.") var batch: Int = 1024
    @Option(help: "Output file: .npy, .safetensors, .npz or .csv.") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print a summary as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        try OutputFile.validate(out)
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() throws {
        try OutputCheck.file(
            out, inputs: CommandInputs.sae(sae) + activations.inputs(recorded: try? openSAE(sae).info),
            force: overwrite.force)
        var (model, info) = try openSAE(sae)
        try pursuit.apply(to: &model)
        let source = try activations.source(recorded: info)
        guard source.dimension == model.inputSize else {
            throw ValidationError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(model.inputSize)")
        }
        let bar = ProgressBar("sae encode")
        let codes = try model.encode(source, batchSize: batch) { f, _ in
            bar.update(f)
            return true
        }
        bar.finish()
        let l0 = codes.l0
        var extras: [(String, Tensor)] = [("l0", Tensor(l0.map { Int64($0) }, shape: [l0.count]))]
        if let labels = (source as? LayerActivationSource)?.data.labels {
            extras.append(("y", Tensor(labels.map { Int64($0) }, shape: [labels.count])))
        }
        try OutputFile.write(
            main: ("codes", Tensor(codes.dense)), extras: extras,
            csvHeader: (0..<model.latentCount).map { "latent_\($0)" },
            metadata: ["loupe.sae": sae, "loupe.activations": source.name], to: out)
        struct Output: Encodable { let file: String; let samples: Int; let latents: Int; let meanL0: Double }
        let result = Output(
            file: out, samples: codes.count, latents: model.latentCount,
            meanL0: Double(codes.nonzeroCount) / Double(max(codes.count, 1)))
        if json { try printJSON(result); return }
        Console.print(String(format: "wrote %@: %d samples × %d latents, mean L0 %.2f", out, result.samples, result.latents, result.meanL0))
    }
}
