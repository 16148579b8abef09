import Foundation

/// Settings of a GPT-2 language-model training run. Every default is here, once: the command
/// line's help and the trainer read them from `defaults`.
public struct LanguageModelOptions: Sendable, Equatable {
    /// Optimisation steps.
    public var steps: Int
    /// Contexts per step.
    public var batchSize: Int
    /// The peak learning rate (AdamW with torch's β = (0.9, 0.999), ε = 1e-8).
    public var learningRate: Double
    /// Steps of linear warm-up from 0 to the peak (nil: 5 % of the steps).
    public var warmupSteps: Int?
    /// The learning rate the cosine decay ends at, as a fraction of the peak.
    public var finalLearningRateFraction: Double
    /// Decoupled weight decay of the blocks' matrices.
    public var weightDecay: Double
    /// Clip the gradient to this ℓ2 norm (nil: no clipping).
    public var maxGradientNorm: Double?
    /// Seeds the initial weights and the order of the contexts.
    public var seed: UInt64

    public static let defaults = LanguageModelOptions(
        steps: 1000, batchSize: 16, learningRate: 1e-3, warmupSteps: nil, finalLearningRateFraction: 0.1, weightDecay: 0.1,
        maxGradientNorm: 1, seed: 0)

    public init(
        steps: Int, batchSize: Int, learningRate: Double, warmupSteps: Int?, finalLearningRateFraction: Double, weightDecay: Double,
        maxGradientNorm: Double?, seed: UInt64
    ) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.finalLearningRateFraction = finalLearningRateFraction
        self.weightDecay = weightDecay
        self.maxGradientNorm = maxGradientNorm
        self.seed = seed
    }

    /// Every how many documents (lines) of a corpus one is held out for evaluation.
    public static let holdOutEvery = 20

    public var warmup: Int { warmupSteps ?? max(steps / 20, 1) }

    /// The learning rate of step `step` (0-based) as a fraction of the peak: linear warm-up
    /// over `warmup` steps, then a half cosine down to `finalLearningRateFraction` at the last step.
    public func learningRateScale(step: Int) -> Double {
        let w = warmup
        if step < w { return Double(step + 1) / Double(w) }
        let progress = steps - w > 1 ? Double(step - w) / Double(steps - w - 1) : 1
        let f = finalLearningRateFraction
        return f + (1 - f) * 0.5 * (1 + cos(Double.pi * min(progress, 1)))
    }
}
