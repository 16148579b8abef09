import ArgumentParser
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

struct SAEEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure an SAE: L0, explained variance, MSE, cosine, dead and dense latents, dark matter.",
        discussion: reflow(
            """
            On a model layer with labelled data it also splices the reconstruction
            into the model: accuracy and loss, and the loss recovered against
            zeroing the layer. Without MODEL or --acts it uses the model, layer and
            data recorded in the SAE's cfg.json. With --true-features (synthetic
            data) it reports how well the decoder recovers them (MMCS). --out
            writes one row per latent: its firing frequency and mean activation.

            Examples:
              loupe sae eval sae-relu1 --data builtin:digits:test
              loupe sae eval sae-topk --acts synth.npy \\
                  --true-features synth.features.npy --json
              loupe sae eval sae-mp --acts resid.npy --max-steps 64 \\
                  --residual-threshold 0.1 --out latents.csv
            """)
    )

    @Argument(help: "The SAE directory (cfg.json + sae_weights.safetensors).") var sae: String
    @OptionGroup var activations: ActivationOptions
    @OptionGroup var pursuit: MatchingPursuitOptions
    @Option(help: ArgumentHelp("True feature directions [features, d_in] (.npy, or 'features' in .safetensors/.npz).", valueName: "FILE"))
    var trueFeatures: String?
    @Option(help: "Samples the dark-matter fit uses (at most; 0 skips it).") var darkMatterSamples: Int = 16384
    @Option(help: "Samples per batch.") var batch: Int = 1024
    @Option(help: "Random seed (the dark-matter split).") var seed: UInt64 = 0
    @Option(help: "Per-latent figures: .csv, .npy, .safetensors or .npz.") var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        guard batch > 0, darkMatterSamples >= 0 else {
            throw ValidationError("--batch must be positive, --dark-matter-samples not negative")
        }
    }

    func run() throws {
        try checkOutputs(
            [("--out", out)],
            inputs: CommandInputs.sae(sae) + activations.inputs(recorded: try? openSAE(sae).info)
                + CommandInputs.file("the true features", trueFeatures), force: overwrite.force)
        var (model, info) = try openSAE(sae)
        try pursuit.apply(to: &model)
        let source = try activations.source(recorded: info)
        let features = try trueFeatures.map(readFeatures)
        let bar = ProgressBar("sae eval")
        let report = try SAEAnalysis.analyse(
            model, on: source,
            options: SAEAnalysisOptions(
                darkMatterSamples: darkMatterSamples, trueFeatures: features, batchSize: batch, seed: seed), progress: bar.handler)
        bar.finish()
        if let out {
            let m = report.metrics
            let table = Matrix<Double>(rows: m.latentFrequency.count, cols: 2) { j, c in
                c == 0 ? m.latentFrequency[j] : m.latentMeanActivation[j]
            }
            try OutputFile.write(
                main: ("latents", Tensor(table)), csvHeader: ["frequency", "mean_activation"],
                metadata: ["loupe.sae": sae], to: out)
        }
        if json { try printJSON(report, figures: report.figures); return }
        Console.print(TerminalText.sae(report))
        if let out { Console.print("wrote \(out)") }
    }
}

/// True feature directions from a file: an .npy [features, d], or 'features' in .safetensors/.npz.
func readFeatures(_ path: String) throws -> Matrix<Float> {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(path): no such file") }
    let tensor: Tensor?
    switch url.pathExtension.lowercased() {
    case "npy": tensor = try NPY.read(url)
    case "safetensors": tensor = try SafeTensors.read(url)["features"]
    case "npz": tensor = try NPZ.read(url)["features"]
    default: throw ValidationError("\(path): expected .npy, .safetensors or .npz")
    }
    guard let tensor, tensor.shape.count == 2, tensor.dtype.isFloatingPoint else {
        throw ValidationError("\(path): expected a floating-point [features, d_in] tensor ('features' in .safetensors/.npz)")
    }
    return tensor.matrix()
}
