import Foundation
import LinAlg

/// Settings of a supervised training run (cross-entropy on labelled data).
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    public var seed: UInt64
    /// Clip the gradient to this ℓ2 norm (nil: no clipping).
    public var maxGradientNorm: Double?
    /// Cosine decay of the learning rate to zero over the run.
    public var cosineDecay: Bool
    /// Standard deviation of Gaussian noise added to every input of every batch (nil: none).
    /// A regulariser that makes weight-based features cleaner: inputs that are always zero in
    /// the data (an image's border) then get gradients, and their weights shrink.
    public var inputNoise: Double?

    public init(
        epochs: Int, batchSize: Int = 64, optimizer: OptimizerKind = .adam(learningRate: 1e-3),
        seed: UInt64 = 0, maxGradientNorm: Double? = nil, cosineDecay: Bool = true, inputNoise: Double? = nil
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.seed = seed
        self.maxGradientNorm = maxGradientNorm
        self.cosineDecay = cosineDecay
        self.inputNoise = inputNoise
    }
}

/// What the trainer reports after every step; returning false from the callback stops it.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var totalSteps: Int
    /// Mean loss of the current epoch so far.
    public var loss: Double
    /// Held-out figures, once per epoch, when validation data was given.
    public var validation: Evaluation?
    public var fraction: Double { Double(step) / Double(max(totalSteps, 1)) }
}

public struct TrainingCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "training was cancelled" }
}

/// Minibatch training with cross-entropy, seeded so the same options give the same network.
public enum Trainer {
    @discardableResult
    public static func train(
        _ network: inout Network<Float>, on data: Dataset, validation: Dataset? = nil,
        options: TrainingOptions,
        progress: (TrainingProgress) -> Bool = { _ in true }
    ) throws -> [TrainingProgress] {
        try data.check(against: network)
        if let validation { try validation.check(against: network) }
        guard let labels = data.labels else { throw NetworkError("data '\(data.name)' has no labels to train on") }
        guard options.epochs > 0, options.batchSize > 0 else { throw NetworkError("epochs and batch size must be positive") }
        if options.inputNoise != nil, !network.tokenTables.isEmpty {
            throw NetworkError("input noise would turn the token ids model '\(network.name)' reads into other numbers; train it without")
        }
        var rng: SeededRandom? = SeededRandom(seed: options.seed)
        var noise = SeededRandom(seed: options.seed ^ 0x5EED_0F_4015E)
        var optimizer = Optimizer(options.optimizer, parameterCount: network.parameterCount)
        // Batchnorms normalise each batch by its own statistics while training, and are
        // evaluated (validation, and the network returned) with the running ones.
        network.useBatchStatistics(true)
        defer { network.useBatchStatistics(false) }
        let statistics = network.runningStatisticRanges
        var theta = network.flatParameters
        let stepsPerEpoch = (data.count + options.batchSize - 1) / options.batchSize
        let totalSteps = stepsPerEpoch * options.epochs
        var step = 0
        var history: [TrainingProgress] = []
        for epoch in 1...options.epochs {
            var lossSum = 0.0, seen = 0
            for batch in data.batches(size: options.batchSize, shuffledBy: &rng) {
                var x = data.x.rows(batch)
                if let sigma = options.inputNoise { x.add(noise.normalMatrix(rows: x.rows, cols: x.cols, std: sigma)) }
                let trace = network.trace(x)
                let (loss, g) = crossEntropy(logits: trace[network.scoreIndex], labels: batch.map { labels[$0] })
                var grad = network.backward(trace: trace, gradient: g, at: network.scoreIndex).parameters
                if let maxNorm = options.maxGradientNorm { clipGradient(&grad, maxNorm: maxNorm) }
                let scale = options.cosineDecay ? 0.5 * (1 + cos(Double.pi * Double(step) / Double(totalSteps))) : 1
                optimizer.update(&theta, gradient: grad, learningRateScale: scale)
                if !statistics.isEmpty {
                    network.updateRunningStatistics(trace: trace)
                    let updated = network.flatParameters
                    for range in statistics { theta.replaceSubrange(range, with: updated[range]) }
                }
                network.setFlatParameters(theta)
                step += 1
                lossSum += loss * Double(batch.count)
                seen += batch.count
                let report = TrainingProgress(
                    epoch: epoch, epochs: options.epochs, step: step, totalSteps: totalSteps,
                    loss: lossSum / Double(seen), validation: nil)
                if !progress(report) { throw TrainingCancelled() }
            }
            var summary = TrainingProgress(
                epoch: epoch, epochs: options.epochs, step: step, totalSteps: totalSteps,
                loss: lossSum / Double(max(seen, 1)), validation: nil)
            if let validation {
                var evaluated = network
                evaluated.useBatchStatistics(false)
                summary.validation = evaluated.evaluate(validation.x, labels: validation.labels)
            }
            history.append(summary)
            if !progress(summary) { throw TrainingCancelled() }
        }
        return history
    }
}
