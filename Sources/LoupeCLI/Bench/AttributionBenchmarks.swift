import Interpret
import LinAlg
import Networks

/// Explanations per second of LRP on the demo MLP and CNN (a batch of 256, one gemm pass per
/// layer for the whole batch), beside the forward pass of the same batch, and on the CNN with
/// its convolutions through im2col patches (the form larger images take) as well as unrolled;
/// the linear interpreter (Float64, every class), pixel flipping and the model-randomisation
/// check; and LRP on torchvision's ResNet-18 (3×32×32, batch 64).
enum AttributionBenchmarks: BenchmarkGroup {
    static let name = "attribution"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let data = try Digits.load(.test)
        let batch = 256
        let x = data.x.rows(in: 0..<batch)
        for model in ["mlp-1", "cnn"] {
            let network = try DemoModels.load(model)
            let forward = Stopwatch.best { _ = network.forward(x) }
            let composites: [LRPComposite] = context.quick ? [.epsilonPlus] : [.epsilonPlus, .epsilonGammaBox, .deepTaylor]
            let forms: [(LRPComposite, LRPConvolutionProducts)] =
                composites.map { ($0, .fastest) } + (model == "cnn" ? [(.epsilonPlus, .patches)] : [])
            for (composite, convolutions) in forms {
                let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: composite), convolutions: convolutions)
                let t = try Stopwatch.best { _ = try lrp.explain(x, target: .predicted) }
                report(
                    BenchmarkRecord(
                        group: name, name: "lrp \(composite) demo:\(model)\(convolutions == .patches ? " (im2col)" : "")",
                        size: "batch \(batch)", seconds: t, rate: Double(batch) / t, unit: "explanations/s",
                        note: String(format: "%.1f× a forward pass", t / forward)))
            }
            let interpreter = try LinearInterpreter(network: network.converted(to: Double.self))
            let x64 = x.converted(to: Double.self)
            let ti = try Stopwatch.best { _ = try interpreter.interpret(x64) }
            report(
                BenchmarkRecord(
                    group: name, name: "linear interpreter demo:\(model)", size: "batch \(batch), 10 classes",
                    seconds: ti, rate: Double(batch) / ti, unit: "samples/s"))
        }
        let (resnet, images) = try NetworkBenchmarks.resnet18(batch: context.quick ? 8 : 64)
        let lrp = try LRP(network: resnet, configuration: LRPConfiguration(composite: .epsilonPlus))
        let forward = Stopwatch.best { _ = resnet.forward(images) }
        let t = try Stopwatch.best { _ = try lrp.explain(images, target: .predicted) }
        report(
            BenchmarkRecord(
                group: name, name: "lrp epsilon-plus resnet18", size: "3×32×32, batch \(images.rows)", seconds: t,
                rate: Double(images.rows) / t, unit: "explanations/s", note: String(format: "%.1f× a forward pass", t / forward)))
        let cnn = try DemoModels.load("cnn")
        let options = PixelFlippingOptions(steps: 16, randomOrders: context.quick ? 2 : 10)
        let tf = try Stopwatch.best(budget: 1, maxRuns: 3) {
            _ = try PixelFlippingResult.compute(
                network: cnn, data: data, samples: Array(0..<batch),
                methods: [LRPConfiguration(composite: .epsilonPlus)], options: options)
        }
        report(
            BenchmarkRecord(
                group: name, name: "pixel flipping demo:cnn", size: "\(batch) samples, 16 steps, \(options.randomOrders) random",
                seconds: tf, rate: Double(batch) / tf, unit: "samples/s"))
        // The check as `loupe lrp randomise` runs it, its randomised copies made in the timing too.
        let randomisation = ModelRandomisationOptions(samples: batch)
        var stages = 0
        let tr = try Stopwatch.best(budget: 1, maxRuns: 5) {
            let check = try ModelRandomisation(network: cnn, options: randomisation)
            stages = try check.compute(data: data).stages.count
        }
        report(
            BenchmarkRecord(
                group: name, name: "model randomisation demo:cnn", size: "\(batch) samples, \(stages) stages (cascading)",
                seconds: tr, rate: Double(batch) / tr, unit: "samples/s",
                note: "LRP \(randomisation.configuration.name) and Spearman ρ per stage"))
    }
}
