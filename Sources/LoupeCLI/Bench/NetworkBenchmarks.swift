import LinAlg
import Networks

/// Forward and training throughput of the demo models and of torchvision's ResNet-18 on
/// 3×32×32 images, beside the sgemm rate of the same run.
enum NetworkBenchmarks: BenchmarkGroup {
    static let name = "networks"

    /// torchvision's ResNet-18 with 10 classes on 3×32×32 inputs, randomly initialised, its
    /// batchnorms folded as a loaded model's are; and a batch of inputs for it.
    static func resnet18(batch: Int) throws -> (Network<Float>, Matrix<Float>) {
        let spec = TorchvisionResNet.resnet18(classes: 10, input: [3, 32, 32])
        let network = try NetworkFile.reloaded(NetworkFile.untrained(spec, seed: 1))
        var rng = SeededRandom(seed: 2)
        return (network, rng.normalMatrix(rows: batch, cols: network.inputSize, std: 1))
    }

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let batch = context.quick ? 8 : 64
        let (resnet, images) = try resnet18(batch: batch)
        let t = Stopwatch.best { _ = resnet.forward(images) }
        report(
            BenchmarkRecord(
                group: name, name: "forward resnet18", size: "3×32×32, batch \(batch)", seconds: t, rate: Double(batch) / t,
                unit: "samples/s", note: String(format: "%.1f GFLOP/s", resnet.forwardFLOPsPerSample * Double(batch) / t / 1e9)))
        let data = try Digits.load(.train)
        for model in ["mlp-1", "cnn", "bilinear"] {
            let network = try DemoModels.load(model)
            let batch = 256
            let x = data.x.rows(in: 0..<batch)
            let labels = Array(data.labels![0..<batch])
            let flops = network.forwardFLOPsPerSample
            let tf = Stopwatch.best { _ = network.forward(x) }
            report(
                BenchmarkRecord(
                    group: name, name: "forward demo:\(model)", size: "batch \(batch)", seconds: tf,
                    rate: Double(batch) / tf, unit: "samples/s",
                    note: String(format: "%.1f GFLOP/s", flops * Double(batch) / tf / 1e9)))
            // One training step: forward, loss, backward (about twice the forward's products).
            let tb = Stopwatch.best {
                let trace = network.trace(x)
                let (_, g) = crossEntropy(logits: trace[network.scoreIndex], labels: labels)
                _ = network.backward(trace: trace, gradient: g, at: network.scoreIndex)
            }
            report(
                BenchmarkRecord(
                    group: name, name: "train step demo:\(model)", size: "batch \(batch)", seconds: tb,
                    rate: Double(batch) / tb, unit: "samples/s",
                    note: String(format: "%.1f GFLOP/s", 3 * flops * Double(batch) / tb / 1e9)))
        }
    }
}
