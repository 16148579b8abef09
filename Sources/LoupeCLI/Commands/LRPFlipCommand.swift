import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

struct LRPFlipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flip",
        abstract: "Pixel flipping: does removing the most relevant inputs first lower the score fastest?",
        discussion: reflow(
            """
            Each sample's inputs are set to the baseline most-relevant-first, the same number per step, \
            and the explained score u·f(x) is followed after each step. Every composite given is \
            compared with gradient × input and with random orders (their mean); a lower area under \
            the curve (AUC, over the removed fraction 0…1) means the map found what the score \
            depends on sooner.

            The output file holds the curves: a .csv has one row per step (the removed fraction, then \
            one column per method); .npy the same matrix; .safetensors and .npz also 'sample_auc' \
            [methods, samples].

            Examples:
              loupe lrp flip demo:cnn --data builtin:digits:test --all \\
                  --composite epsilon-plus,deep-taylor
              loupe lrp flip demo:mlp-1 --data builtin:digits:test --all \\
                  --composite epsilon-plus-flat --baseline mean --out curves.csv
              loupe lrp flip demo:cnn --data builtin:digits:test --index 0,1,2 \\
                  --steps 64 --random 50 --seed 7 --json
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var samples: AttributionSamples
    @Option(
        help: ArgumentHelp("Composites to compare, comma-separated (or rule names for one rule everywhere).", valueName: "NAME[,NAME…]"))
    var composite = "epsilon-plus"
    @OptionGroup var lrpOptions: LRPOptions
    @Option(help: "Steps from nothing removed to everything removed.") var steps = PixelFlippingOptions().steps
    @Option(
        help: ArgumentHelp("What removed inputs become: a number, or 'mean' (each input's mean over the data).", valueName: "VALUE|mean"))
    var baseline = "0"
    @Option(help: "Random orders per sample.") var random = 10
    @Option(help: "Seed of the random orders.") var seed: UInt64 = 1
    @Option(help: "Output file: .csv, .npy, .safetensors or .npz.") var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Option(help: "Samples per batch.") var batch = 256
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        guard steps > 0, random > 0, batch > 0 else { throw ValidationError("--steps, --random and --batch must be positive") }
        _ = try FlippingBaseline.parse(baseline)
    }

    struct Output: Encodable {
        let result: PixelFlippingResult
        let file: String?
    }

    func run() throws {
        let (network, data) = try openModelAndData(model, modelOptions, dataOptions, outputs: [("--out", out)], force: overwrite.force)
        let methods = try composite.split(separator: ",").map { try lrpOptions.configuration(composite: LRPComposite.parse(String($0))) }
        let options = PixelFlippingOptions(
            steps: steps, baseline: try FlippingBaseline.parse(baseline), randomOrders: random,
            seed: seed, batchSize: batch)
        let bar = ProgressBar("pixel flipping")
        let result = try PixelFlippingResult.compute(
            network: network, data: data, samples: samples.indices(in: data), methods: methods,
            target: try lrpOptions.parsedTarget(for: network), options: options,
            progress: bar.handler)
        bar.finish()
        if let out { try write(result, to: out) }
        if json { try printJSON(Output(result: result, file: out)); return }
        Console.print(
            "\(model) on \(data.name): \(result.samples.count) samples, target \(result.target), \(steps) steps to baseline \(options.baseline)"
        )
        let random = result.curve(PixelFlippingResult.randomMethod)!
        var table = Table(["order", "AUC", "AUC − random", "score at start", "after 25 %", "at end"], rightAligned: [1, 2, 3, 4, 5])
        let quarter = result.fractions.firstIndex { $0 >= 0.25 } ?? 0
        for curve in result.curves {
            table.append([
                curve.method, String(format: "%.4f", curve.auc), String(format: "%+.4f", curve.auc - random.auc),
                String(format: "%.4f", curve.meanScore.first!), String(format: "%.4f", curve.meanScore[quarter]),
                String(format: "%.4f", curve.meanScore.last!)
            ])
        }
        Console.print(table.text)
        if let out { Console.print("wrote \(out): \(result.fractions.count) points × \(result.curves.count) orders") }
    }

    /// [points, 1 + methods]: the removed fraction, then each method's mean score.
    private func write(_ result: PixelFlippingResult, to path: String) throws {
        let curves = Matrix<Double>(rows: result.fractions.count, cols: result.curves.count + 1) { k, m in
            m == 0 ? result.fractions[k] : result.curves[m - 1].meanScore[k]
        }
        let sampleAUC = Tensor(result.curves.flatMap(\.sampleAUC), shape: [result.curves.count, result.samples.count])
        try OutputFile.write(
            main: ("curves", Tensor(curves)), extras: [("sample_auc", sampleAUC)],
            csvHeader: ["fraction"] + result.curves.map(\.method),
            metadata: ["loupe.model": model, "loupe.methods": result.curves.map(\.method).joined(separator: ",")],
            to: path)
    }
}
