import ArgumentParser
import Foundation
import Interpret
import LinAlg
import TensorIO

struct SAESynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Make synthetic activations with known feature directions (for tests and benchmarks).",
        discussion: reflow(
            """
            Each of --features random unit directions in --dim dimensions is active
            in a sample with probability --active / --features, with a magnitude
            uniform in [0, 1); a sample is the sum of its active features.
            .safetensors and .npz files hold 'x', 'features' and the true
            coefficients 'codes'; with .npy the features go beside it, in
            NAME.features.npy.

            Examples:
              loupe sae synth --out synth.npy
              loupe sae synth --samples 100000 --dim 512 --features 4096 --active 32 \\
                  --seed 3 --out big.npy
              loupe sae synth --out synth.safetensors --json
            """)
    )

    @Option(help: "Number of samples.") var samples: Int = 50000
    @Option(help: "Dimension d of each sample.") var dim: Int = 64
    @Option(help: "Number of true features.") var features: Int = 256
    @Option(help: "Mean number of active features per sample.") var active: Double = 5
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Output file: .npy, .safetensors or .npz.") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print a summary as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        guard ["npy", "safetensors", "npz"].contains(URL(fileURLWithPath: out).pathExtension.lowercased()) else {
            throw ValidationError("--out must be .npy, .safetensors or .npz")
        }
    }

    func run() throws {
        let featuresFile =
            URL(fileURLWithPath: out).pathExtension.lowercased() == "npy"
            ? URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("features.npy").path : nil
        try checkOutputs([("--out", out), ("the features beside --out", featuresFile)], inputs: [], force: overwrite.force)
        guard samples > 0, dim > 0, features > 0, active > 0 else {
            throw ValidationError("--samples, --dim, --features and --active must be positive")
        }
        // The activations and the dense codes are held in memory together.
        try MemoryBudget.check(
            MemoryBudget.product(samples, dim + features, MemoryLayout<Float>.size),
            for: "\(samples) samples of \(dim) dimensions and \(features) features")
        let synthetic = try SyntheticFeatures.generate(
            samples: samples, dimension: dim, features: features,
            meanActive: active, seed: seed)
        let url = URL(fileURLWithPath: out)
        var written = [out]
        let featureTensor = Tensor(synthetic.features)
        if url.pathExtension.lowercased() == "npy" {
            try NPY.write(Tensor(synthetic.activations), to: url)
            try NPY.write(featureTensor, to: URL(fileURLWithPath: featuresFile!))
            written.append(featuresFile!)
        } else {
            try OutputFile.write(
                main: ("x", Tensor(synthetic.activations)),
                extras: [("features", featureTensor), ("codes", Tensor(synthetic.coefficients.dense))],
                metadata: ["loupe.synthetic": "dim=\(dim) features=\(features) active=\(active) seed=\(seed)"], to: out)
        }
        struct Output: Encodable { let files: [String]; let samples: Int; let dimension: Int; let features: Int; let meanActive: Double }
        let result = Output(
            files: written, samples: samples, dimension: dim, features: features,
            meanActive: Double(synthetic.coefficients.nonzeroCount) / Double(samples))
        if json { try printJSON(result); return }
        Console.print(
            String(
                format: "wrote %@: %d samples of %d features in %d dimensions, %.2f active on average",
                written.joined(separator: " and "), samples, features, dim, result.meanActive))
    }
}
