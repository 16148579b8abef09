import Foundation
import LinAlg
import Transformers

/// A GPT-2-small-shaped forward pass (12 layers, d 768, 12 heads, vocabulary 50 257; random
/// weights; 8 contexts of 128 tokens, logits included), in tokens per second.
enum TransformerBenchmarks: BenchmarkGroup {
    static let name = "transformers"

    /// GPT-2 small's shape, or with `quick` a 2-layer, d 256 one on 2 contexts of 32.
    static func gpt2(quick: Bool) throws -> (model: Transformer, contexts: [[Int]]) {
        let (layers, width, heads, vocabulary, ctx, batch) = quick ? (2, 256, 4, 4096, 32, 2) : (12, 768, 12, 50257, 128, 8)
        let json = """
            {"model_type": "gpt2", "n_layer": \(layers), "n_embd": \(width), "n_head": \(heads), "n_positions": 1024, "vocab_size": \(vocabulary)}
            """
        let model = try Transformer.untrained(TransformerConfig.decode(Data(json.utf8), source: "bench"), name: "gpt2", seed: 1)
        var rng = SeededRandom(seed: 2)
        return (model, (0..<batch).map { _ in (0..<ctx).map { _ in rng.int(below: vocabulary) } })
    }

    /// The seconds of one forward pass over every context (one batch), the logits kept.
    static func time(_ model: Transformer, _ contexts: [[Int]]) throws -> Double {
        try Stopwatch.best(budget: 3, maxRuns: 5) { _ = try model.run(contexts: contexts, keeping: ["logits"]) }
    }

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let (model, contexts) = try gpt2(quick: context.quick)
        let t = try time(model, contexts)
        let tokens = contexts.count * contexts[0].count
        report(
            BenchmarkRecord(
                group: name, name: "forward gpt2\(context.quick ? "-tiny" : "-small")",
                size: "\(contexts.count) × \(contexts[0].count) tokens",
                seconds: t, rate: Double(tokens) / t, unit: "tokens/s"))
    }
}
