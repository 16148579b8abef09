import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

struct InterpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interp",
        abstract: "The exact linear interpreter of a ReLU / max-pool network at one sample: f(x) = A(x)·x + b(x).",
        discussion: reflow(
            """
            With its gates frozen at x (ReLU masks, max-pool winners) the network is affine, so every \
            score is a template A_c(x) (the Jacobian's row) dotted with x, plus a bias b_c(x) made of \
            each layer's bias carried to the output. Computed in Float64; the residual \
            Σ_i A_ci x_i + b_c − f_c(x) shows the identity holds. A network ending in softmax is \
            interpreted before it.

            The output holds the templates as [classes, input shape]; .safetensors and .npz also the \
            votes A_c ⊙ x ('votes'), 'bias' [classes], 'bias_shares' [layers, classes], 'scores', \
            'residual', the input 'x', and with --columns A's columns ('columns' [input shape, classes]: \
            how each input moves every class).

            Examples:
              loupe interp demo:cnn --data builtin:digits:test --index 0 \\
                  --out templates.npy
              loupe interp demo:mlp-1 --data builtin:digits:test --index 12 \\
                  --out interp.safetensors --columns --json
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "The sample's index into the data.") var index: Int
    @Option(help: "Output file: .npy, .csv, .safetensors or .npz.") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Also save A's columns (per input, its effect on every class).") var columns = false
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws { try OutputFile.validate(out) }

    struct Output: Encodable {
        let model: String
        let interpretation: LinearInterpretation
        let maxResidual: Double
        let file: String
    }

    func run() throws {
        let (network, data) = try openModelAndData(model, modelOptions, dataOptions, outputs: [("--out", out)], force: overwrite.force)
        let r = try LinearInterpretation.compute(network: network, data: data, samples: [index])[0]
        let c = r.classNames.count
        let shape = r.inputShape
        var extras: [(String, Tensor)] = [
            ("votes", try Tensor(r.votes.flatMap { $0 }, shape: [c, r.input.count]).reshaped([c] + shape)),
            ("bias", Tensor(r.bias, shape: [c])),
            ("bias_shares", Tensor(r.biasShares.flatMap(\.perClass), shape: [r.biasShares.count, c])),
            ("scores", Tensor(r.scores, shape: [c])),
            ("residual", Tensor(r.residuals, shape: [c])),
            ("x", try Tensor(r.input, shape: [r.input.count]).reshaped(shape))
        ]
        if columns { extras.append(("columns", try Tensor(r.columns.flatMap { $0 }, shape: [r.input.count, c]).reshaped(shape + [c]))) }
        let templates = try Tensor(r.templates.flatMap { $0 }, shape: [c, r.input.count]).reshaped([c] + shape)
        try OutputFile.write(
            main: ("templates", templates), extras: extras,
            csvHeader: (0..<r.input.count).map { "input_\($0)" },
            metadata: [
                "loupe.model": model, "loupe.data": data.name, "loupe.sample": "\(index)",
                "loupe.bias_layers": r.biasShares.map(\.layer).joined(separator: ",")
            ], to: out)
        if json { try printJSON(Output(model: model, interpretation: r, maxResidual: r.maxResidual, file: out)); return }
        Console.print(
            "\(model), sample \(index) of \(data.name)" + (r.label.map { " (label \(r.classNames[$0]))" } ?? "")
                + ": f(x) = A(x)·x + b(x)")
        var table = Table(
            ["class", "score", "Σ votes", "bias"] + r.biasShares.map { "from \($0.layer)" } + ["residual"],
            rightAligned: Set(1..<(5 + r.biasShares.count)))
        for k in 0..<c {
            table.append(
                [
                    r.classNames[k] + (k == r.predicted ? " ◀" : ""), String(format: "%.4f", r.scores[k]),
                    String(format: "%.4f", r.votes[k].reduce(0, +)), String(format: "%.4f", r.bias[k])
                ]
                    + r.biasShares.map { String(format: "%.4f", $0.perClass[k]) } + [String(format: "%.1e", r.residuals[k])])
        }
        Console.print(table.text)
        Console.print(String(format: "max |residual| = %.2e", r.maxResidual))
        Console.print("wrote \(out): templates \(shapeText([c] + shape))")
    }
}
