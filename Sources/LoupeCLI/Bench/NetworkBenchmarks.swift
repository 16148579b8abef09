import LinAlg
import Networks

/// Forward and training throughput of the demo models, beside the sgemm rate of the same run.
enum NetworkBenchmarks: BenchmarkGroup {
    static let name = "networks"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
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
