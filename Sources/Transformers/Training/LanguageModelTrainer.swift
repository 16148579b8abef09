import Foundation
import LinAlg
import Networks

/// What the trainer reports after every step; returning false from the callback stops it.
public struct LanguageModelProgress: Sendable {
    public var step: Int
    public var steps: Int
    /// This step's mean next-token loss (nats).
    public var loss: Double
    /// Tokens predicted so far.
    public var tokens: Int
    /// The gradient's norm before clipping.
    public var gradientNorm: Double
    public var fraction: Double { Double(step) / Double(max(steps, 1)) }
}

/// Trains a GPT-2 on a token stream: each step reads `batchSize` windows of context + 1
/// tokens at seeded random places, takes the mean next-token loss's gradient, clips its norm,
/// and steps AdamW (decay on the blocks' matrices only) at the scheduled learning rate.
public enum LanguageModelTrainer {
    public static func train(
        _ p: inout GPT2Parameters, on stream: [Int], context: Int, options: LanguageModelOptions,
        progress: (LanguageModelProgress) -> Bool = { _ in true }
    ) throws {
        guard options.steps > 0, options.batchSize > 0, options.learningRate > 0 else {
            throw TransformerError("training: steps, batch size and learning rate must be positive")
        }
        guard context >= 1, context <= p.config.maxPositions else {
            throw TransformerError("training: a context of \(context) tokens does not fit the \(p.config.maxPositions) learned positions")
        }
        guard stream.count > context else {
            throw TransformerError("training: the text has \(stream.count) tokens, fewer than one context of \(context) + 1")
        }
        var optimizer = Self.optimizer(for: p, options)
        // The batches have their own generator, so that the initial weights (seeded by the
        // same seed) and the order of the text do not depend on each other.
        var random = SeededRandom(seed: options.seed ^ 0xBA7C_4E5)
        var tokens = 0
        for step in 0..<options.steps {
            let batch = (0..<options.batchSize).map { _ in
                let start = random.int(below: stream.count - context)
                return Array(stream[start..<(start + context + 1)])
            }
            let (loss, gradientNorm) = try Self.step(
                &p, &optimizer, sequences: batch, learningRateScale: options.learningRateScale(step: step),
                maxGradientNorm: options.maxGradientNorm)
            tokens += options.batchSize * context
            let report = LanguageModelProgress(step: step + 1, steps: options.steps, loss: loss, tokens: tokens, gradientNorm: gradientNorm)
            if !progress(report) { throw TrainingCancelled() }
        }
    }

    /// AdamW with the options' rate and decay, the decay on the blocks' matrices only.
    public static func optimizer(for p: GPT2Parameters, _ options: LanguageModelOptions) -> Optimizer {
        Optimizer(
            .adam(learningRate: options.learningRate, weightDecay: options.weightDecay), parameterCount: p.count, decaying: p.decayedRanges)
    }

    /// One step on `sequences`: the gradient of their mean next-token loss, clipped to
    /// `maxGradientNorm`, then the optimizer's update at `learningRateScale` of its rate.
    /// Returns the loss before the step and the gradient's norm before clipping.
    @discardableResult
    public static func step(
        _ p: inout GPT2Parameters, _ optimizer: inout Optimizer, sequences: [[Int]], learningRateScale: Double, maxGradientNorm: Double?
    ) throws -> (loss: Double, gradientNorm: Double) {
        var (loss, gradient) = try GPT2Gradients.compute(p, sequences: sequences)
        let gradientNorm = maxGradientNorm.map { clipGradient(&gradient, maxNorm: $0) } ?? Double(norm(gradient))
        optimizer.update(&p.values, gradient: gradient, learningRateScale: learningRateScale)
        return (loss, gradientNorm)
    }

    /// The mean next-token loss over `sequences`, `batchSize` of them at a time (each token
    /// weighted once, whatever its sequence's length).
    public static func meanLoss(_ p: GPT2Parameters, sequences: [[Int]], batchSize: Int = 16) throws -> Double {
        var total = 0.0, count = 0
        for start in stride(from: 0, to: sequences.count, by: max(batchSize, 1)) {
            let batch = Array(sequences[start..<min(start + batchSize, sequences.count)])
            let predicted = batch.reduce(0) { $0 + $1.count - 1 }
            total += try GPT2Gradients.loss(p, sequences: batch) * Double(predicted)
            count += predicted
        }
        return total / Double(max(count, 1))
    }
}
