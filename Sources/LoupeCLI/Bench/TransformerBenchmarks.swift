import Foundation
import LinAlg
import Transformers

/// A GPT-2-small-shaped forward pass (12 layers, d 768, 12 heads, vocabulary 50 257; random
/// weights; 8 contexts of 128 tokens, logits included), and a training step of demo:gpt2-tiny's
/// shape, in tokens per second.
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

    /// demo:gpt2-tiny's shape (4 layers, d 128, 4 heads, vocabulary 2 048; untrained), or with
    /// `quick` a 1-layer d 64 one: one training step (loss, gradient, clipping, AdamW) on 16
    /// contexts of 128 + 1 tokens (quick: 2 of 32 + 1), in tokens per second.
    static func trainStep(quick: Bool) throws -> (model: GPT2Parameters, sequences: [[Int]]) {
        let (layers, width, heads, vocabulary, ctx, batch) = quick ? (1, 64, 2, 512, 32, 2) : (4, 128, 4, 2048, 128, 16)
        let config = try GPT2Checkpoint.config(layers: layers, width: width, heads: heads, context: ctx, vocabulary: vocabulary)
        var rng = SeededRandom(seed: 3)
        let sequences = (0..<batch).map { _ in (0...ctx).map { _ in rng.int(below: vocabulary) } }
        return (try GPT2Parameters(untrained: config, seed: 1), sequences)
    }

    /// The seconds of one training step of `trainStep(quick:)`'s model and batch, the batch's
    /// size as text, and the tokens it predicts.
    static func timeTrainStep(quick: Bool) throws -> (seconds: Double, size: String, tokens: Int) {
        var (model, sequences) = try trainStep(quick: quick)
        var optimizer = LanguageModelTrainer.optimizer(for: model, .defaults)
        let seconds = try Stopwatch.best(budget: 3, maxRuns: 5) {
            _ = try LanguageModelTrainer.step(&model, &optimizer, sequences: sequences, learningRateScale: 1, maxGradientNorm: 1)
        }
        let context = sequences[0].count - 1
        return (seconds, "\(sequences.count) × \(context) tokens", sequences.count * context)
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
        let (step, size, predicted) = try timeTrainStep(quick: context.quick)
        report(
            BenchmarkRecord(
                group: name, name: "train step gpt2-tiny\(context.quick ? "-quick" : "")", size: size, seconds: step,
                rate: Double(predicted) / step,
                unit: "tokens/s"))
    }
}
