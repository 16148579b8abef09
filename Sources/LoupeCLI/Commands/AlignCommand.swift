import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import Transformers

struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Convergent learning: match the units of a layer of A with those of a layer of B.",
        discussion: reflow(
            """
            Correlates every unit of --layer-a with every unit of --layer-b over the
            data (channels of a convolution over samples and positions), then, after
            Li et al. (2016):
              bipartite  one-to-one matching of largest total correlation
              semi       each unit of A with its best-correlated unit of B
              sparse     L1-regularised maps from A's units to each unit of B along
                         a λ path, λ chosen on held-out samples: how many units of A
                         each unit of B needs
              spectral   spectral clustering of both layers' units together on
                         their joint |correlation|
            Constant units (dead ReLUs) take no part and are listed.
            --permutations N gives both matchings' mean correlation a permutation
            null: the same matching with B's samples shuffled N times (seeded;
            positions of a sample kept together), its mean, standard deviation and
            p-value. Matching picks the best of many correlations, so even unrelated
            layers score above 0; the null says how far.

            Examples:
              loupe align demo:mlp-1 demo:mlp-2 --data builtin:digits \\
                  --layer-a relu1 --layer-b relu1
              loupe align demo:mlp-1 demo:mlp-2 --data builtin:digits \\
                  --layer-a relu2 --layer-b relu2 --method semi --out semi.csv
              loupe align demo:mlp-1 demo:mlp-2 --data builtin:digits \\
                  --layer-a relu1 --layer-b relu1 --method sparse --json
              loupe align demo:mlp-1 demo:mlp-2 --data builtin:digits:test \\
                  --layer-a relu2 --layer-b relu2 --permutations 99
              loupe align demo:cnn cnn-b.safetensors --data builtin:digits \\
                  --layer-a relu2 --layer-b relu2 --method spectral --clusters 8
              loupe align gpt2/ gpt2-seed2/ --text corpus.txt \\
                  --layer-a blocks.1.mlp.hook_post --layer-b blocks.1.mlp.hook_post

            Transformer checkpoints (Hugging Face folders) are compared on --text, each token an
            observation (the first --max-tokens of the text, both models on the same token ids);
            their layers are hook points.
            """)
    )

    @Argument(help: "Model A: .safetensors or demo:NAME.") var modelA: String
    @Argument(help: "Model B.") var modelB: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var textSample: TextSampleOptions
    @Option(name: .customLong("layer-a"), help: "The layer of A.") var layerA: String
    @Option(name: .customLong("layer-b"), help: "The layer of B.") var layerB: String
    @Option(help: "How units are matched or grouped.") var method: ConvergentOptions.Method = .bipartite
    @Option(help: "Spectral clusters (default: chosen by the largest eigengap).") var clusters: Int?
    @Option(help: "Points on the sparse-prediction λ path.") var lambdas: Int = 20
    @Option(help: "The path's smallest λ as a fraction of the largest.") var lambdaRatio: Double = 0.01
    @Option(help: ArgumentHelp("Shuffles of the permutation null of the matched correlations (0: none).", valueName: "N"))
    var permutations: Int = ConvergentOptions().permutations
    @Option(help: "Seed of the held-out split (sparse), of k-means (spectral) and of the shuffles.") var seed: UInt64 = 0
    @Option(help: "Write the method's table: .csv, .npy, .safetensors or .npz (the last two also hold the correlation matrices).")
    var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object (the correlation matrices go to --out).") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        if let clusters, clusters < 1 { throw ValidationError("--clusters must be positive") }
        try SparsePredictionOptions(lambdaCount: lambdas, lambdaRatio: lambdaRatio).validate()
        try PermutationNull.validate(permutations: permutations)
    }

    func run() throws {
        try checkOutputs(
            [("--out", out)],
            inputs: CommandInputs.model(modelA, arch: modelOptions.architecture) + CommandInputs.model(modelB)
                + CommandInputs.data(dataOptions.data) + CommandInputs.file("the text", textSample.text.text), force: overwrite.force)
        let options = ConvergentOptions(
            methods: [method], clusters: clusters,
            sparse: SparsePredictionOptions(lambdaCount: lambdas, lambdaRatio: lambdaRatio), permutations: permutations, seed: seed)
        let result = try TextModels.isTextModel(modelA) || TextModels.isTextModel(modelB) ? onText(options) : onData(options)
        if let out { try write(result, to: out) }
        if json { try printJSON(Output(result, method: method)); return }
        let c = result.correlation
        Console.print(
            "\(modelA) \(layerA) (\(c.unitsA) units) against \(modelB) \(layerB) (\(c.unitsB) units) on \(result.data), \(c.observations) observations"
        )
        if !c.constantUnitsA.isEmpty || !c.constantUnitsB.isEmpty {
            Console.print("constant units left out: \(c.constantUnitsA.count) of A, \(c.constantUnitsB.count) of B")
        }
        switch method {
        case .bipartite: printMatching(result.bipartite, against: result.semi)
        case .semi: printMatching(result.semi, against: result.bipartite)
        case .sparse: printSparse(result.sparse!)
        case .spectral: printClusters(result.spectral!)
        }
        if let out { Console.print("wrote \(out)") }
    }

    private func onData(_ options: ConvergentOptions) throws -> ConvergentLearningResult {
        let a = try openModel(modelA, modelOptions), b = try openModel(modelB, modelOptions)
        let data = try dataOptions.load()!
        let bar = ProgressBar("align")
        defer { bar.finish() }
        return try ConvergentLearning.compare(a, b, data: data, layerA: layerA, layerB: layerB, options: options, progress: bar.handler)
    }

    /// Two transformers' hook points on the same tokens of the text.
    private func onText(_ options: ConvergentOptions) throws -> ConvergentLearningResult {
        guard TextModels.isTextModel(modelA), TextModels.isTextModel(modelB) else {
            throw ValidationError("align compares two networks or two transformer checkpoints, not one of each")
        }
        guard textSample.text.text != nil, dataOptions.data == nil else {
            throw ValidationError("transformer checkpoints are compared on text: give --text FILE (not --data)")
        }
        let text = try textSample.collect([(TextModels.load(modelA), [layerA]), (TextModels.load(modelB), [layerB])])
        let bar = ProgressBar("align")
        defer { bar.finish() }
        var result = try ConvergentLearning.compare(
            units: text.values[0][layerA]!.converted(to: Double.self), text.values[1][layerB]!.converted(to: Double.self),
            layerA: layerA, layerB: layerB, options: options, progress: bar.handler)
        (result.modelA, result.modelB) = (modelA, modelB)
        result.data = "\(textSample.text.text!) (\(text.tokens) tokens in \(text.contexts.count) contexts)"
        return result
    }

    /// What --json prints: the chosen method's result and the correlation summary.
    struct Output: Encodable {
        let modelA: String, modelB: String, layerA: String, layerB: String, data: String, method: String
        let unitsA: Int, unitsB: Int, observations: Int, constantUnitsA: [Int], constantUnitsB: [Int]
        let matching: UnitMatching?, sparse: SparsePrediction?, spectral: UnitClustering?

        init(_ r: ConvergentLearningResult, method: ConvergentOptions.Method) {
            let c = r.correlation
            (modelA, modelB, layerA, layerB, data, self.method) = (r.modelA, r.modelB, c.layerA, c.layerB, r.data, method.rawValue)
            (unitsA, unitsB, observations, constantUnitsA, constantUnitsB) = (
                c.unitsA, c.unitsB, c.observations, c.constantUnitsA, c.constantUnitsB
            )
            matching = method == .bipartite ? r.bipartite : method == .semi ? r.semi : nil
            sparse = r.sparse
            spectral = r.spectral
        }
    }

    private func printMatching(_ m: UnitMatching, against other: UnitMatching) {
        Console.print(
            "\(m.kind.rawValue) matching: \(m.pairs.count) pairs, mean correlation \(LabelledOutput.cell(m.meanCorrelation))"
                + " (\(other.kind.rawValue): \(LabelledOutput.cell(other.meanCorrelation))), \(m.distinctUnitsB) distinct units of B")
        if let null = m.null { Console.print("with B's samples shuffled \(null.permutations) times: \(null.text)") }
        let curve = m.sortedCorrelations
        var table = Table(["rank", "correlation"], rightAligned: [0, 1])
        for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0] where !curve.isEmpty {
            let i = min(curve.count - 1, Int((q * Double(curve.count - 1)).rounded()))
            table.append(["\(i + 1)", LabelledOutput.cell(curve[i])])
        }
        Console.print("sorted matched correlations:\n" + table.text)
    }

    private func printSparse(_ s: SparsePrediction) {
        var table = Table(["λ", "train MSE", "held-out MSE", "units per target", ""], rightAligned: [0, 1, 2, 3])
        for (k, p) in s.path.enumerated() {
            table.append([
                String(format: "%.4g", p.lambda), LabelledOutput.cell(p.trainingMSE), LabelledOutput.cell(p.validationMSE),
                String(format: "%.1f", p.meanUnits), k == s.chosen ? "← chosen" : ""
            ])
        }
        Console.print(
            "sparse prediction of B's units from A's (standardised; \(s.trainingObservations) fitting, \(s.validationObservations) held-out observations):"
        )
        Console.print(table.text)
        let live = s.unitsNeeded.indices.filter { !s.constantTargets.contains($0) }
        let needed = live.map { s.unitsNeeded[$0] }.sorted()
        if !needed.isEmpty {
            Console.print(
                "units of A needed per unit of B at λ = \(String(format: "%.4g", s.lambda)): median \(needed[needed.count / 2]), range \(needed.first!)–\(needed.last!)"
            )
        }
    }

    private func printClusters(_ s: UnitClustering) {
        Console.print(
            "spectral clustering: \(s.clusters.count) clusters\(s.chosenByEigengap ? " (by eigengap)" : ""), \(s.sharedClusters) with units of both layers"
        )
        var table = Table(["cluster", "units of A", "units of B", "mean |r|"], rightAligned: [0, 3])
        for (k, c) in s.clusters.enumerated() {
            table.append(["\(k)", Self.list(c.unitsA), Self.list(c.unitsB), LabelledOutput.cell(c.meanAbsoluteCorrelation, digits: 3)])
        }
        Console.print(table.text)
    }

    private static func list(_ units: [Int]) -> String {
        units.count <= 8
            ? units.map(String.init).joined(separator: " ")
            : units.prefix(8).map(String.init).joined(separator: " ") + " … (\(units.count))"
    }

    private func write(_ r: ConvergentLearningResult, to path: String) throws {
        let c = r.correlation
        var extras: [(String, Tensor)] = [
            ("correlation", Tensor(Matrix<Double>(c.matrix))),
            ("aligned_correlation", Tensor(Matrix<Double>(r.alignedMatrix))),
            ("aligned_order", Tensor(r.bipartite.columnOrder.map { Int64($0) }, shape: [c.unitsB]))
        ]
        let header: [String], rows: [[String]], main: Matrix<Double>
        switch method {
        case .bipartite, .semi:
            let m = method == .bipartite ? r.bipartite : r.semi
            let pairs = m.pairs.sorted { $0.correlation > $1.correlation }
            header = ["rank", "unit_a", "unit_b", "correlation"]
            rows = pairs.enumerated().map { ["\($0 + 1)", "\($1.unitA)", "\($1.unitB)", "\($1.correlation)"] }
            main = Matrix(pairs.enumerated().map { [Double($0 + 1), Double($1.unitA), Double($1.unitB), $1.correlation] })
        case .sparse:
            let s = r.sparse!
            header = ["lambda", "training_mse", "validation_mse", "mean_units", "chosen"]
            rows = s.path.enumerated().map { k, p in
                ["\(p.lambda)", "\(p.trainingMSE)", "\(p.validationMSE)", "\(p.meanUnits)", k == s.chosen ? "1" : "0"]
            }
            main = Matrix(
                s.path.enumerated().map { k, p in [p.lambda, p.trainingMSE, p.validationMSE, p.meanUnits, k == s.chosen ? 1 : 0] })
            extras += [
                ("units_needed", Tensor(s.unitsNeeded.map { Int64($0) }, shape: [s.unitsNeeded.count])),
                ("validation_r2", Tensor(s.validationR2, shape: [s.validationR2.count])),
                ("weights", Tensor(Matrix<Double>(s.weights)))
            ]
        case .spectral:
            let clusters = r.spectral!.clusters
            var table: [(layer: String, side: Double, unit: Int, cluster: Int)] = []
            for (k, cluster) in clusters.enumerated() {
                table += cluster.unitsA.map { (c.layerA, 0, $0, k) } + cluster.unitsB.map { (c.layerB, 1, $0, k) }
            }
            header = ["model", "layer", "unit", "cluster"]
            rows = table.map { [$0.side == 0 ? r.modelA : r.modelB, $0.layer, "\($0.unit)", "\($0.cluster)"] }
            main = Matrix(table.map { [$0.side, Double($0.unit), Double($0.cluster)] })
        }
        try LabelledOutput.write(
            csvHeader: header, csvRows: rows, main: (method.rawValue, Tensor(main)), extras: extras,
            metadata: [
                "loupe.model_a": r.modelA, "loupe.model_b": r.modelB, "loupe.layer_a": c.layerA,
                "loupe.layer_b": c.layerB, "loupe.data": r.data, "loupe.method": method.rawValue
            ],
            to: path)
    }
}
