import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

struct BilinearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bilinear",
        abstract: "Read a bilinear layer from its weights: interaction matrices and their eigenvectors.",
        discussion: reflow(
            """
            For an output direction u (a class's row of the readout after the layer, a difference of two classes, or a vector you give) the layer is a quadratic form u·g(x) = x̃ᵀQx̃ = Σ λ_i (v_i·x̃)². Q is written in the earliest activation that only affine layers separate from the layer (the input, through an embedding), so eigenvectors of an image model are images; x̃ = [x; 1] when biases take part. Eigenvalues are listed most positive first.

            --out writes, by extension:
              .safetensors, .npz  eigenvalues [forms, D]; eigenvectors [forms, S, D]:
                                  the --top most positive, then the --top most
                                  negative (all D when 2·top ≥ D); eigenvector_index
                                  [forms, S]; directions [forms, outputs]; offsets;
                                  effective_rank; similarity (several forms);
                                  truncation_k, truncation_accuracy (--truncation)
              .npy                the eigenvectors alone
              .csv                with --truncation the table k, accuracy; else one
                                  row per saved eigenvector: form, index,
                                  eigenvalue, its D components

            Examples:
              loupe bilinear demo:bilinear --layer bilinear
              loupe bilinear demo:bilinear --class 3 --top 5 --out three.npz
              loupe bilinear demo:bilinear --class 3 --versus 8 --json
              loupe bilinear demo:bilinear --truncation --data builtin:digits:test \\
                  --out truncation.csv
              loupe bilinear demo:bilinear --data builtin:digits:test --sample 0
              loupe bilinear model.safetensors --layer mlp.bilinear \\
                  --direction sae.safetensors:W_dec --out sae_features.safetensors
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The bilinear layer (default: the model's only one).") var layer: String?
    @Option(name: .customLong("class"), help: "Decompose this class's form only (a class name or index).") var classOption: String?
    @Option(help: "With --class: decompose the difference of the two classes' forms.") var versus: String?
    @Option(
        help: ArgumentHelp(
            "Directions of the layer's output to decompose instead of the readout: a vector or [directions, outputs] matrix in .npy/.npz/.safetensors/.csv (FILE:TENSOR picks a tensor).",
            valueName: "FILE"))
    var direction: String?
    @Option(help: "The activation to write the forms in (default: the earliest that only affine layers separate from the layer).")
    var space: String?
    @Option(help: "How many of the most positive and most negative eigenvectors to show and save per form.") var top: Int = BilinearReport
        .defaultTop
    @Flag(help: "Accuracy of the model with each class's form truncated to its top-k eigenvectors by |λ|, k = 1…D (needs --data).")
    var truncation = false
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "A sample of --data whose outputs to split into eigenvector contributions (repeatable).") var sample: [Int] = []
    @Option(help: "Output file: .safetensors, .npz, .npy or .csv.") var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        guard top > 0 else { throw ValidationError("--top must be positive") }
        if classOption != nil && direction != nil { throw ValidationError("give --class or --direction, not both") }
        if versus != nil && classOption == nil { throw ValidationError("--versus needs --class") }
        if (truncation || !sample.isEmpty) && dataOptions.data == nil {
            throw ValidationError("--\(truncation ? "truncation" : "sample") needs --data (e.g. --data builtin:digits:test)")
        }
    }

    func run() throws {
        // FILE:TENSOR names a tensor of FILE.
        let directionFile = direction.map { d in
            d.split(separator: ":").count > 1 && PathKind(d) == .missing ? String(d[..<d.lastIndex(of: ":")!]) : d
        }
        try checkOutputs(
            [("--out", out)],
            inputs: CommandInputs.model(model, arch: modelOptions.architecture)
                + CommandInputs.data(dataOptions.data) + CommandInputs.file("the directions", directionFile), force: overwrite.force)
        let network = try openModel(model, modelOptions)
        let data = try dataOptions.load(required: truncation || !sample.isEmpty)
        let site = try BilinearSite(network: network, layer: layerName(network), space: space)
        let bar = ProgressBar("bilinear")
        defer { bar.finish() }
        let analysis = try BilinearAnalysis(site: site, directions: directions(site), progress: bar.handler)
        let report = try analysis.report(top: top, data: data, truncation: truncation, samples: sample, progress: bar.handler)
        bar.finish()
        if let out { try write(analysis, report, to: out) }
        if json { try printJSON(report) } else { printText(report) }
    }

    private func layerName(_ network: Network<Float>) throws -> String {
        if let layer { return layer }
        let names = BilinearSite.bilinearLayers(in: network)
        guard names.count == 1 else {
            throw ValidationError(
                names.isEmpty
                    ? "model '\(model)' has no bilinear layer"
                    : "model '\(model)' has several bilinear layers (\(names.joined(separator: ", "))): pick one with --layer")
        }
        return names[0]
    }

    private var choice: DirectionChoice {
        if let direction { return .file(direction) }
        guard let classOption else { return .readout }
        return versus.map { .contrast(classOption, $0) } ?? .output(classOption)
    }

    private func directions(_ site: BilinearSite) throws -> [FormDirection] {
        if site.readout == nil && direction == nil {
            throw ValidationError(
                "bilinear layer '\(site.layerName)' is followed by \(site.followedBy), not by a linear readout: give --direction FILE")
        }
        return try site.directions(choice)
    }

    // MARK: Output

    /// The eigenvectors a file keeps for one form: the `top` largest eigenvalues, then the `top`
    /// smallest (most negative first), or all of them when that covers the spectrum.
    private func savedIndices(_ size: Int) -> [Int] {
        2 * top >= size ? Array(0..<size) : Array(0..<top) + Array((size - top)..<size).reversed()
    }

    private func write(_ analysis: BilinearAnalysis, _ report: BilinearReport, to path: String) throws {
        let forms = analysis.forms
        let size = analysis.site.formSize
        let saved = savedIndices(size)
        let components = (0..<analysis.site.spaceSize).map { "x\($0)" } + (analysis.site.hasConstant ? ["constant"] : [])
        let vectors = forms.flatMap { form in saved.flatMap { form.eigenvectors.row($0) } }
        let eigenvectors = Tensor(vectors, shape: [forms.count, saved.count, size])
        var metadata = [
            "loupe.model": model, "loupe.layer": analysis.site.layerName, "loupe.space": analysis.site.spaceName,
            "loupe.forms": forms.map(\.direction.label).joined(separator: ","),
            "loupe.components": analysis.site.hasConstant ? "\(analysis.site.spaceSize) + constant" : "\(analysis.site.spaceSize)"
        ]
        if let image = analysis.site.imageShape { metadata["loupe.image"] = image.map(String.init).joined(separator: "x") }

        if URL(fileURLWithPath: path).pathExtension.lowercased() == "csv" {
            if let curve = report.truncation {
                let table = Matrix(rows: curve.ks.count, cols: 2) { r, c in c == 0 ? Double(curve.ks[r]) : curve.accuracy[r] }
                try OutputFile.write(main: ("truncation", Tensor(table)), csvHeader: ["k", "accuracy"], to: path)
            } else {
                let rows = forms.enumerated().flatMap { f, form in
                    saved.map { i in [Double(f), Double(i), form.eigenvalues[i]] + form.eigenvectors.row(i) }
                }
                try OutputFile.write(
                    main: ("eigenvectors", Tensor(Matrix(rows))),
                    csvHeader: ["form", "index", "eigenvalue"] + components, to: path)
            }
            return
        }
        var extras: [(String, Tensor)] = [
            ("eigenvalues", Tensor(forms.flatMap(\.eigenvalues), shape: [forms.count, size])),
            ("eigenvector_index", Tensor(forms.flatMap { _ in saved.map(Int64.init) }, shape: [forms.count, saved.count])),
            ("directions", Tensor(forms.flatMap(\.direction.vector), shape: [forms.count, analysis.site.outputSize])),
            ("offsets", Tensor(forms.map(\.direction.offset), shape: [forms.count])),
            ("effective_rank", Tensor(forms.map(\.effectiveRank), shape: [forms.count]))
        ]
        if let similarity = report.similarity {
            extras.append(
                ("similarity", Tensor(similarity.cosine.flatMap { $0 }, shape: [similarity.features.count, similarity.features.count])))
            metadata["loupe.similarity"] = similarity.features.map(\.name).joined(separator: ",")
        }
        if let curve = report.truncation {
            extras.append(("truncation_k", Tensor(curve.ks.map(Int64.init), shape: [curve.ks.count])))
            extras.append(("truncation_accuracy", Tensor(curve.accuracy, shape: [curve.ks.count])))
        }
        try OutputFile.write(main: ("eigenvectors", eigenvectors), extras: extras, metadata: metadata, to: path)
    }

    private func printText(_ report: BilinearReport) {
        let image = report.imageShape.map { "  image " + $0.map(String.init).joined(separator: "×") } ?? ""
        Console.print(
            "\(model)  layer \(report.layer)  forms in '\(report.space)' (\(report.spaceSize) values\(report.hasConstant ? " + constant" : ""))\(image)"
        )
        var table = Table(["form", "offset", "λ max", "λ min", "eff. rank", "top + λ", "top − λ"], rightAligned: [1, 2, 3, 4])
        for s in report.spectra {
            table.append([
                s.label, format(s.offset), format(s.eigenvalues.first ?? 0), format(s.eigenvalues.last ?? 0),
                String(format: "%.2f", s.effectiveRank),
                s.positive.map { format($0.eigenvalue) }.joined(separator: " "),
                s.negative.map { format($0.eigenvalue) }.joined(separator: " ")
            ])
        }
        Console.print(table.text)
        if let similarity = report.similarity, !similarity.strongest.isEmpty {
            Console.print("\nmost similar features of different forms (|cos|):")
            for pair in similarity.strongest.prefix(5) {
                Console.print(
                    String(format: "  %@  ~  %@   %.3f", similarity.features[pair.a].name, similarity.features[pair.b].name, pair.cosine))
            }
        }
        if let curve = report.truncation { printTruncation(curve) }
        for sample in report.contributions { printContributions(sample) }
    }

    private func printTruncation(_ curve: TruncationCurve) {
        Console.print("\ntruncation on \(curve.data) (\(curve.samples) samples): each class keeps its top k eigenvectors by |λ|")
        var table = Table(["k", "accuracy"], rightAligned: [0, 1])
        let shown = Set(Array(curve.ks.prefix(12)) + stride(from: 16, through: curve.ks.count, by: 16) + [curve.ks.count])
        for (k, accuracy) in zip(curve.ks, curve.accuracy) where shown.contains(k) {
            table.append(["\(k)", String(format: "%.2f %%", 100 * accuracy)])
        }
        Console.print(table.text)
        Console.print(
            String(
                format: "model accuracy %.2f %%; all eigenvectors %.2f %% (max logit error %.1e)",
                100 * curve.modelAccuracy, 100 * (curve.accuracy.last ?? 0), curve.maxLogitError))
        if let k = curve.kFor95Percent { Console.print("95 % of the full accuracy from k = \(k)") }
    }

    private func printContributions(_ sample: SampleContributions) {
        let label = sample.label.map { "label \($0), " } ?? ""
        Console.print("\nsample \(sample.sample) (\(label)predicted \(sample.predicted)): output = Σ λ_i (v_i·x̃)² + offset")
        var table = Table(["form", "output", "offset", "largest terms: index λ → contribution"], rightAligned: [1, 2])
        for form in sample.forms {
            table.append([
                form.label, format(form.value), format(form.offset),
                form.top.map { "#\($0.index) \(format($0.eigenvalue)) → \(format($0.contribution))" }.joined(separator: "   ")
            ])
        }
        Console.print(table.text)
    }

    private func format(_ x: Double) -> String { String(format: "%.3g", x) }
}
