import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO

/// The rows of the peer comparison (`scripts/bench-peers`), on the inputs that script writes
/// into a folder, so Loupe and its peers (Zennit, numpy, scipy, PyTorch) work on the same
/// numbers. Each time is the fastest of several runs in this process, as the script times its
/// peers in theirs; loading the inputs is timed only where the row says "from .npy".
enum PeerBenchmarks {
    static let name = "peers"
    /// The rows, named as scripts/bench-peers names them (its `--only`).
    static let rows = [
        "lrp-mlp", "lrp-cnn", "resnet18-forward", "resnet18-lrp", "gpt2-forward", "gpt2-train-step", "cka", "mutual-knn", "assignment",
        "weight-matching",
        "sae-standard", "sae-topk", "sae-lm-train"
    ]

    static func run(inputs folder: URL, rows selected: [String], report: (BenchmarkRecord) -> Void) throws {
        func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

        for model in ["mlp", "cnn"] where selected.contains("lrp-\(model)") {
            let network = try NetworkFile.load(file("\(model).safetensors"), architecture: file("\(model).arch.json"))
            let x = try DataSource.load(file("\(model)-x.npy").path).x
            let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: .epsilonPlus))
            let t = try Stopwatch.best(budget: 2) { _ = try lrp.explain(x, target: .predicted) }
            report(
                BenchmarkRecord(
                    group: name, name: "lrp epsilon-plus \(model)", size: "batch \(x.rows)", seconds: t,
                    rate: Double(x.rows) / t, unit: "explanations/s"))
        }

        if selected.contains("resnet18-forward") || selected.contains("resnet18-lrp") {
            // torchvision's state_dict, opened with the architecture Loupe knows it by.
            let network = try NetworkFile.build(
                TorchvisionResNet.resnet18(classes: 10, input: [3, 32, 32]),
                tensors: try SafeTensors.read(file("resnet18.safetensors")).tensors,
                source: "resnet18.safetensors")
            let x = try DataSource.load(file("resnet18-x.npy").path).x
            if selected.contains("resnet18-forward") {
                let t = Stopwatch.best(budget: 2) { _ = network.forward(x) }
                report(
                    BenchmarkRecord(
                        group: name, name: "forward resnet18", size: "batch \(x.rows)", seconds: t, rate: Double(x.rows) / t,
                        unit: "samples/s"))
            }
            if selected.contains("resnet18-lrp") {
                let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: .epsilonPlus))
                let t = try Stopwatch.best(budget: 2) { _ = try lrp.explain(x, target: .predicted) }
                report(
                    BenchmarkRecord(
                        group: name, name: "lrp epsilon-plus resnet18", size: "batch \(x.rows)", seconds: t, rate: Double(x.rows) / t,
                        unit: "explanations/s"))
            }
        }

        if selected.contains("gpt2-forward") {
            // Random weights on both sides: the shapes make the work, not the values.
            let (model, contexts) = try TransformerBenchmarks.gpt2(quick: false)
            let t = try TransformerBenchmarks.time(model, contexts)
            report(
                BenchmarkRecord(
                    group: name, name: "forward gpt2-small", size: "8 × 128 tokens", seconds: t, rate: 1024 / t, unit: "tokens/s"))
        }

        if selected.contains("gpt2-train-step") {
            let (t, size, tokens) = try TransformerBenchmarks.timeTrainStep(quick: false)
            report(
                BenchmarkRecord(
                    group: name, name: "train step gpt2-tiny", size: size, seconds: t, rate: Double(tokens) / t, unit: "tokens/s"))
        }

        if selected.contains("cka") {
            let t = try Stopwatch.best(budget: 3, maxRuns: 5) {
                let x = try DataSource.load(file("cka-x.npy").path).x, y = try DataSource.load(file("cka-y.npy").path).x
                _ = try CKA.similarity(x, y)
            }
            report(BenchmarkRecord(group: name, name: "linear cka from .npy", size: "10000 × 512", seconds: t, rate: nil, unit: nil))
        }

        if selected.contains("mutual-knn") {
            // Both sides' neighbours and their overlap, the inputs loaded beforehand (on both sides).
            let x = try DataSource.load(file("knn-x.npy").path).x, y = try DataSource.load(file("knn-y.npy").path).x
            var value = 0.0
            let t = try Stopwatch.best(budget: 3, maxRuns: 5) {
                let a = try NearestNeighbours(x, k: 10, what: "knn-x"), b = try NearestNeighbours(y, k: 10, what: "knn-y")
                value = a.alignment(with: b)
            }
            report(
                BenchmarkRecord(
                    group: name, name: "mutual k-NN", size: "\(x.rows) × \(x.cols) and \(y.cols), k 10", seconds: t, rate: nil, unit: nil,
                    note: "alignment \(value)"))
        }

        for n in [256, 512, 1024] where selected.contains("assignment") {
            let cost = try NPY.read(file("assignment-\(n).npy")).matrix(Double.self)
            let t = try Stopwatch.best(budget: 2) { _ = try LinearAssignment(cost: cost) }
            report(BenchmarkRecord(group: name, name: "linear assignment", size: "n \(n)", seconds: t, rate: nil, unit: nil))
        }

        if selected.contains("weight-matching") {
            let a = try NetworkFile.load(file("wm-a.safetensors"), architecture: file("wm.arch.json"))
            let b = try NetworkFile.load(file("wm-b.safetensors"), architecture: file("wm.arch.json"))
            let spec = try PermutationSpec(a)
            let ta = PermutationSpec.tensors(of: a), tb = PermutationSpec.tensors(of: b)
            var sweeps = 0
            let t = try Stopwatch.best(budget: 3, maxRuns: 3) { sweeps = try WeightMatching.run(spec, a: ta, b: tb, seed: 0).sweeps }
            report(
                BenchmarkRecord(
                    group: name, name: "weight matching", size: "784-512-512-512-10", seconds: t, rate: nil, unit: nil,
                    note: "\(sweeps) sweeps"))
        }

        if selected.contains("sae-lm-train") {
            // The contexts SAELens reads: its pretokenisation of the same corpus, [n, 128] ids.
            let ids = try NPY.read(file("sae-lm-contexts.npy")).matrix(Double.self)
            let contexts = (0..<ids.rows).map { r in ids.row(r).map { Int($0) } }
            let lm = try SAEBenchmarks.streamedTraining(batch: 4096, steps: 40, contexts: contexts)
            report(
                BenchmarkRecord(
                    group: name, name: "sae train step from demo:gpt2-tiny", size: lm.size, seconds: lm.seconds,
                    rate: Double(lm.batch) / lm.seconds, unit: "tokens/s"))
        }

        let architectures = [(SAEArchitecture.standard, "sae-standard"), (.topk, "sae-topk")].filter { selected.contains($0.1) }
        guard !architectures.isEmpty else { return }
        let acts = try DataSource.load(file("sae-x.npy").path).x
        for (architecture, _) in architectures {
            var session = try SAETrainingSession(
                source: ActivationMatrix(acts, name: "sae-x"),
                options: SAETrainingOptions(
                    architecture: architecture, latents: 8 * acts.cols, k: 32, steps: 1000, batchSize: acts.rows, seed: 1))
            _ = try session.advance()  // the first step allocates the optimiser state
            let t = try Stopwatch.best(budget: 3, maxRuns: 5) { _ = try session.advance() }
            report(
                BenchmarkRecord(
                    group: name, name: "sae train step \(architecture.rawValue)",
                    size: "\(acts.cols) → \(8 * acts.cols), batch \(acts.rows)",
                    seconds: t, rate: Double(acts.rows) / t, unit: "samples/s"))
        }
    }
}
