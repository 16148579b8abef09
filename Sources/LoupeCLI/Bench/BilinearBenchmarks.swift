import Interpret
import LinAlg
import Networks

/// Decomposing the class forms of a bilinear layer (one gemm and one dsyevd per class), for the
/// demo model and a wide random layer, and the truncation curve on the digits' test split.
enum BilinearBenchmarks: BenchmarkGroup {
    static let name = "bilinear"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let demo = try DemoModels.load("bilinear")
        try decomposition(of: demo, model: "demo:bilinear", report: report)

        let width = context.quick ? 256 : 1024
        try decomposition(of: wideModel(width: width, classes: 10), model: "random \(width)-wide", report: report)

        let data = try Digits.load(.test)
        let analysis = try BilinearAnalysis(network: demo, layer: "bilinear")
        let t = try Stopwatch.best(budget: 1, maxRuns: 5) { _ = try analysis.truncation(on: data) }
        report(
            BenchmarkRecord(
                group: name, name: "truncation demo:bilinear", size: "\(data.count) samples, k = 1…\(analysis.site.formSize)",
                seconds: t, rate: Double(data.count) / t, unit: "samples/s"))
    }

    /// Locating the layer, building every class's Q and decomposing it.
    private static func decomposition(of network: Network<Float>, model: String, report: (BenchmarkRecord) -> Void) throws {
        var site: BilinearSite?
        let t = try Stopwatch.best(budget: 2, maxRuns: 5) {
            site = try BilinearSite(network: network, layer: "bilinear")
            _ = try BilinearAnalysis(site: site!)
        }
        let forms = try site!.readoutDirections().count
        let n = Double(site!.formSize)
        // 2·m·n² for Q = L̃ᵀ diag(u) R̃, about (4/3 + 2)·n³ for dsyevd with vectors, per form.
        let flops = Double(forms) * (2 * Double(site!.outputSize) * n * n + 10.0 / 3 * n * n * n)
        report(
            BenchmarkRecord(
                group: name, name: "decompose \(model)", size: "\(forms) forms, D = \(site!.formSize)", seconds: t,
                rate: Double(forms) / t, unit: "forms/s", note: String(format: "≈%.1f GFLOP/s", flops / t / 1e9)))
    }

    /// A random bilinear layer width → width followed by a linear readout to `classes`.
    private static func wideModel(width: Int, classes: Int) -> Network<Float> {
        var rng = SeededRandom(seed: 7)
        let scale = 1 / Double(width).squareRoot()
        let bilinear = Bilinear<Float>(
            left: rng.normalMatrix(rows: width, cols: width, std: scale),
            right: rng.normalMatrix(rows: width, cols: width, std: scale))
        let head = Linear<Float>(weight: rng.normalMatrix(rows: classes, cols: width, std: scale), bias: nil)
        return Network(
            name: "random \(width)-wide bilinear", input: InputSpec(shape: [width]), classes: nil,
            layers: [
                Layer(name: "bilinear", operation: .bilinear(bilinear), inputShape: [width], outputShape: [width]),
                Layer(name: "head", operation: .linear(head), inputShape: [width], outputShape: [classes])
            ])
    }
}
