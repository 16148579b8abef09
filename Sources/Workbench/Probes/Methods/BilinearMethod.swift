import Figures
import Interpret
import Networks

/// `method = "bilinear"`: the eigendecomposition of a bilinear layer's class forms — spectra,
/// effective ranks, the top eigenvectors as images, shared features across classes and the
/// truncation curve (accuracy when each class keeps its top k eigenvectors).
public enum BilinearMethod: ProbeMethod {
    public static let name = "bilinear"
    public static let summary = "eigenvalue spectra, top eigenvectors, shared features and the truncation curve of a bilinear layer"
    public static let parameters = [
        ProbeParameter("model", .model, required: true, about: "a model with a bilinear layer"),
        ProbeParameter("layer", .string, about: "the bilinear layer (default: the model's only one)"),
        ProbeParameter("top", .integer, about: "eigenvectors shown each way per class (default \(BilinearReport.defaultTop))"),
        ProbeParameter("truncation", .boolean, about: "compute accuracy against k (default true; needs labelled data)")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        if let top = p.integer("top"), top < 1 { throw WorkbenchError("top must be at least 1") }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let alias = p.string("model")!
        let network = try context.network(alias)
        let layers = BilinearSite.bilinearLayers(in: network)
        if layers.isEmpty {
            throw WorkbenchError(
                "model '\(alias)' (\(network.name)) has no bilinear layer; the bilinear run needs one (e.g. demo:bilinear)")
        }
        guard let layer = p.string("layer") ?? (layers.count == 1 ? layers[0] : nil) else {
            throw WorkbenchError(
                "give layer = one of \(layers.joined(separator: ", ")) (model '\(alias)' has \(layers.count) bilinear layers)")
        }
        let top = p.integer("top") ?? BilinearReport.defaultTop
        let data = try context.optionalData(for: run)
        let analysis = try BilinearAnalysis(network: network, layer: layer, progress: progress)
        let report = try analysis.report(
            top: top, data: data, truncation: (p.boolean("truncation") ?? true) && data?.labels != nil,
            progress: progress)

        var text = [
            "Layer `\(layer)` of `\(context.reference(alias))`: one quadratic form per output of its readout, written in `\(report.space)` (\(report.spaceSize) values\(report.hasConstant ? " and a constant for the biases" : "")). Each form is u·g(x) = Σᵢ λᵢ (vᵢ·x)²."
        ]
        var headline: [String: Double] = [
            "mean effective rank": report.spectra.map(\.effectiveRank).reduce(0, +) / Double(max(report.spectra.count, 1))
        ]
        var plots: [ReportPlot] = [
            ReportPlot.lines(
                name: "eigenvalues", title: "Eigenvalues of each form, largest first", xLabel: "eigenvalue index", yLabel: "λ",
                series: report.spectra.map {
                    LineSeries(name: $0.label, x: $0.eigenvalues.indices.map(Double.init), y: $0.eigenvalues)
                })
        ]
        if let mosaic = ImageMosaic(shape: report.imageShape) {
            let tiles = report.spectra.map { s in [s.positive.first?.vector, s.negative.first?.vector] }
            plots.append(
                ReportPlot(
                    name: "eigenvectors", title: "Top positive and negative eigenvector of each form",
                    content: .heatmap(
                        mosaic.heatmap(
                            rowLabels: report.spectra.map(\.label), columnLabels: ["+λ", "−λ"], tiles: tiles,
                            valueLabel: "eigenvector", signed: true))))
        }
        if let similarity = report.similarity {
            plots.append(
                ReportPlot(
                    name: "similarity", title: "|cos| between the top eigenvectors of different forms",
                    content: .heatmap(
                        PlotHeatmap(
                            rowLabels: similarity.features.map(\.name), columnLabels: similarity.features.map(\.name),
                            values: similarity.cosine, valueLabel: "|cos|", signed: false))))
        }
        if let curve = report.truncation {
            plots.append(
                ReportPlot.lines(
                    name: "truncation", title: "Accuracy when each form keeps its top k eigenvectors", xLabel: "k (eigenvectors per form)",
                    yLabel: "accuracy",
                    series: [
                        LineSeries(name: "truncated", x: curve.ks.map(Double.init), y: curve.accuracy),
                        LineSeries(
                            name: "model", x: [Double(curve.ks.first ?? 1), Double(curve.ks.last ?? 1)],
                            y: [curve.modelAccuracy, curve.modelAccuracy])
                    ]))
            headline["model accuracy"] = curve.modelAccuracy
            if let k = curve.kFor95Percent { headline["k for 95% of accuracy"] = Double(k) }
            text.append(
                "On `\(curve.data)` the model's accuracy is \(NumberFormat.readable(100 * curve.modelAccuracy)) %; keeping every eigenvector reproduces it (largest logit difference \(NumberFormat.readable(curve.maxLogitError))). "
                    + (curve.kFor95Percent.map { "Keeping \($0) eigenvector\($0 == 1 ? "" : "s") per form reaches 95 % of it." } ?? ""))
        }
        let spectra = ReportTable(
            name: "spectra", title: "Spectra", columns: ["form", "offset", "λ max", "λ min", "effective rank"],
            rows: report.spectra.map { s in
                [
                    .text(s.label), .number(s.offset), .number(s.eigenvalues.first ?? 0),
                    .number(s.eigenvalues.last ?? 0), .number(s.effectiveRank)
                ]
            })
        return ReportSection(
            title: "Bilinear layer \(layer) of \(context.reference(alias))", method: name, text: text,
            tables: [spectra], plots: plots, headline: headline)
    }
}
