import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

struct RebasinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebasin",
        abstract: "Git Re-Basin: permute B's hidden units to line up with A's, and look between them.",
        discussion: reflow(
            """
            Finds permutations of B's hidden units (or channels) that bring it closest
            to A: weight matching (coordinate descent over the layers in a random
            order, each step a linear assignment, until a sweep gains nothing), or
            activation matching on --data. The permuted B computes exactly B's
            function and is saved with B's tensor names. With labelled --data, it
            reports loss and accuracy along (1−λ)θ_A + λθ_B, naive and permuted, and
            the loss barrier max_λ L(λ) − ½(L(0) + L(1)). --repair adds the permuted
            curve with REPAIR (each channel's mean and spread reset at every λ to the
            interpolation of A's and B's: without it, barriers of networks with
            batchnorm stay high), and repairs the merged model. On a ResNet, the
            layers an add sums share one permutation (the residual stream).

            Examples:
              loupe rebasin demo:mlp-1 demo:mlp-2 --out b.safetensors
              loupe rebasin demo:mlp-1 demo:mlp-2 --data builtin:digits:test \\
                  --out b.safetensors --merge merged.safetensors --lmc lmc.csv
              loupe rebasin demo:cnn cnn-b.safetensors --method activation \\
                  --data builtin:digits:train --out b.safetensors --json
              loupe rebasin demo:resnet demo:resnet-2 --data builtin:digits:test \\
                  --repair --out b.safetensors --merge merged.safetensors
            """)
    )

    @Argument(help: "Model A (the reference): .safetensors or demo:NAME.") var modelA: String
    @Argument(help: "Model B (the one permuted), of the same architecture.") var modelB: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "How B's units are matched to A's.") var method: RebasinOptions.Method = RebasinOptions().method
    @Option(help: "Write the permuted B here (.safetensors).") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Option(help: ArgumentHelp("Also write the merged model ½θ_A + ½θ_B(permuted) (.safetensors).", valueName: "FILE"))
    var merge: String?
    @Option(
        help: ArgumentHelp("Write the interpolation curves (.csv, .npy, .safetensors or .npz); needs labelled --data.", valueName: "FILE"))
    var lmc: String?
    @Option(help: "Points on each interpolation curve.") var steps: Int = RebasinOptions.defaultInterpolationSteps
    @Option(help: "Most sweeps of weight matching.") var maxSweeps: Int = RebasinOptions().maximumSweeps
    @Option(help: "Seed of weight matching's layer order.") var seed: UInt64 = 0
    @Flag(help: "Also interpolate with REPAIR, and repair the merged model (needs --data).") var repair = false
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        for (flag, path) in [("--out", out), ("--merge", merge)] {
            if let path, URL(fileURLWithPath: path).pathExtension.lowercased() != "safetensors" {
                throw ValidationError("\(flag) \(path): a network is written as .safetensors")
            }
        }
        if let lmc {
            try OutputFile.validate(lmc)
            guard dataOptions.data != nil else { throw ValidationError("--lmc needs --data with labels") }
        }
        guard steps >= 2 else { throw ValidationError("--steps must be at least 2") }
        guard maxSweeps >= 1 else { throw ValidationError("--max-sweeps must be at least 1") }
        if method == .activation && dataOptions.data == nil { throw ValidationError("--method activation needs --data") }
        if repair && dataOptions.data == nil { throw ValidationError("--repair needs --data (it measures each channel on it)") }
    }

    func run() throws {
        try checkOutputs(
            [("--out", out), ("--merge", merge), ("--lmc", lmc)],
            inputs: CommandInputs.model(modelA, arch: modelOptions.architecture) + CommandInputs.model(modelB)
                + CommandInputs.data(dataOptions.data), force: overwrite.force)
        let a = try openModel(modelA, modelOptions), b = try openModel(modelB, modelOptions)
        let data = try dataOptions.load(required: false)
        if lmc != nil, let data, data.labels == nil {
            throw ValidationError("--lmc needs labelled data; '\(data.name)' has no labels")
        }
        let bar = ProgressBar("rebasin")
        let options = RebasinOptions(
            method: method, seed: seed, maximumSweeps: maxSweeps,
            interpolationSteps: data?.labels == nil ? nil : steps, repair: repair)
        let outcome = try GitRebasin.run(a, b, data: data, options: options, progress: bar.handler)
        bar.finish()
        let r = outcome.result
        let how = "\(method.rawValue) matching of \(modelB) to \(modelA)"
        try NetworkFile.save(outcome.permuted, to: URL(fileURLWithPath: out), extraMetadata: ["loupe.rebasin": how])
        if let merge {
            try NetworkFile.save(
                outcome.merged, to: URL(fileURLWithPath: merge), extraMetadata: ["loupe.rebasin": "λ = ½ merge after \(how)"])
        }
        if let lmc { try writeCurves(r, to: lmc) }
        if json { try printJSON(r, figures: r.figures); return }
        Console.print(TerminalText.rebasin(r))
        Console.print("wrote \([out, merge, lmc].compactMap { $0 }.joined(separator: ", "))")
    }

    /// The curves (naive, permuted and, with --repair, repaired), with the barriers in the metadata.
    private func writeCurves(_ r: RebasinResult, to path: String) throws {
        guard let (header, rows) = r.curveColumns, let naive = r.naive, let permuted = r.permuted else { return }
        var metadata = [
            "loupe.columns": header.joined(separator: ","), "loupe.model_a": modelA, "loupe.model_b": modelB,
            "loupe.loss_barrier_naive": "\(naive.lossBarrier)", "loupe.loss_barrier_permuted": "\(permuted.lossBarrier)"
        ]
        if let repaired = r.repaired { metadata["loupe.loss_barrier_repaired"] = "\(repaired.lossBarrier)" }
        try OutputFile.write(main: ("lmc", Tensor(Matrix<Double>(rows))), csvHeader: header, metadata: metadata, to: path)
    }
}
