import Foundation
import LinAlg
import Networks
import TensorIO
import Transformers

/// One point of the training curves.
public struct SAETrainingPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: SAEBatchLoss
    /// Fraction of latents that have not fired for the dead window.
    public var deadFraction: Double
    public var learningRate: Double
}

/// What the trainer reports after every step; return false from the callback to cancel.
public struct SAETrainingProgress: Sendable {
    public var point: SAETrainingPoint
    public var totalSteps: Int
    public var fraction: Double { Double(point.step) / Double(max(totalSteps, 1)) }
}

/// A trained SAE with its record: the options as resolved, the curves, and the input scale that
/// was folded into the weights.
public struct SAETrainingRun: Sendable {
    /// The SAE on raw activations (the normalisation is folded in).
    public var sae: SparseAutoencoder<Float>
    public var summary: SAETrainingSummary
}

public struct SAETrainingSummary: Codable, Sendable, Equatable {
    public var source: String
    public var options: SAETrainingOptions
    /// s in x ↦ s·x during training (1 without normalisation).
    public var inputScale: Double
    public var history: [SAETrainingPoint]
    /// The mean of the last tenth of the steps' figures (a single batch is noisy).
    public var final: SAEBatchLoss
    public var resampledLatents: Int
    public var samplesSeen: Int
    public var seconds: Double
}

/// Trains sparse autoencoders on streamed minibatches (docs/methods.md): Adam with warm-up and
/// decay, gradient clipping, unit-norm decoder rows, b_dec at the geometric median, input
/// normalisation, dead-latent tracking, the auxiliary-k loss and resampling.
public enum SAETrainer {
    /// Trains an SAE on `source`. Seeded: the same options and data give the same SAE.
    /// Throws `CancellationError` when `progress` returns false.
    public static func train(
        on source: ActivationSource, options: SAETrainingOptions,
        progress: (SAETrainingProgress) -> Bool = { _ in true }
    ) throws -> SAETrainingRun {
        try train(SAETrainingSession(source: source, options: options), progress: progress)
    }

    /// Runs `session` to its last step.
    public static func train(
        _ session: SAETrainingSession, progress: (SAETrainingProgress) -> Bool = { _ in true }
    ) throws -> SAETrainingRun {
        var session = session
        while !session.isFinished {
            let point = try session.advance()
            if !progress(SAETrainingProgress(point: point, totalSteps: session.options.steps)) { throw CancellationError() }
        }
        return session.finish()
    }
}

/// A training run in progress, one step at a time: what a background job drives (and can stop
/// between any two steps), and what the trainer loops over.
public struct SAETrainingSession: Sendable {
    /// The options with every default resolved.
    public let options: SAETrainingOptions
    /// s in x ↦ s·x during training (1 without normalisation).
    public let inputScale: Double
    /// Steps taken so far.
    public private(set) var step = 0
    /// The training curves so far (about `options.historyPoints` points).
    public private(set) var history: [SAETrainingPoint] = []
    public var isFinished: Bool { step >= options.steps }

    private let sourceName: String
    private var stream: any Minibatches
    private var sae: SparseAutoencoder<Float>
    /// JumpReLU trains log θ so that θ stays positive.
    private var logThreshold: [Float]
    /// Batch top-k's running estimate of the inference threshold.
    private var batchThreshold: Double = 0
    private var optimizers: [Optimizer]
    /// The step at which each latent last fired (0: not yet).
    private var lastFired: [Int]
    private var resampled = 0
    private var recent: [SAEBatchLoss] = []
    private var rng: SeededRandom
    private let started = DispatchTime.now().uptimeNanoseconds

    /// Checks the options, reads a sample of the source for the input scale and b_dec's starting
    /// point, and initialises the SAE. Batches are drawn from the source in random order.
    public init(source: ActivationSource, options: SAETrainingOptions) throws {
        guard source.count > 0 else { throw InterpretError("\(source.name): no samples to train on") }
        let options = try options.resolved(inputSize: source.dimension)
        var rng = SeededRandom(seed: options.seed)
        let sampleSize = min(source.count, Self.sampleSize)
        let indices = sampleSize == source.count ? Array(0..<sampleSize) : rng.sample(sampleSize, from: source.count).sorted()
        let sample = try sampleSize == source.count ? source.all() : source.rows(at: indices)
        try self.init(name: source.name, sample: sample, options: options, rng: rng) { rng in
            ShufflingBuffer(
                SourceBlocks(source), batchSize: options.batchSize, capacity: options.batchSize * Self.bufferBatches,
                refillBelow: options.batchSize, rng: rng)
        }
    }

    /// The same on a model's hook point as it reads a text: batches come through a shuffling
    /// buffer of `bufferRows` rows refilled at half (SAELens's activation store), so memory stays
    /// the buffer's however long the text; the input scale and b_dec's start come from the
    /// first buffer.
    public init(stream: HookStream, bufferRows: Int, options: SAETrainingOptions) throws {
        let options = try options.resolved(inputSize: stream.width)
        try MemoryBudget.check(
            MemoryBudget.product(2, max(bufferRows, options.batchSize), stream.width, MemoryLayout<Float>.size),
            for: "a shuffling buffer of \(bufferRows) rows of \(stream.width) values")
        var rng = SeededRandom(seed: options.seed)
        var buffer = ShufflingBuffer(
            StreamedRows(stream: stream), batchSize: options.batchSize, capacity: bufferRows, refillBelow: bufferRows / 2,
            rng: rng.fork(1))
        let sample = try buffer.upcoming(Self.sampleSize)
        try self.init(name: StreamedRows(stream: stream).name, sample: sample, options: options, rng: rng) { _ in buffer }
    }

    /// Rows read for the input scale and b_dec's geometric median.
    static let sampleSize = 4096
    /// A random-access source is shuffled through a buffer of this many batches.
    public static let bufferBatches = 8

    private init(
        name: String, sample: Matrix<Float>, options: SAETrainingOptions, rng: SeededRandom,
        batches: (SeededRandom) throws -> any Minibatches
    ) throws {
        self.options = options
        sourceName = name
        var rng = rng
        let d = sample.cols, m = options.latents!
        let sample = sample.converted(to: Double.self)
        let meanNorm = sample.rowNorms().reduce(0, +) / Double(sample.rows)
        inputScale = options.normalizeInput && meanNorm > 0 ? Double(d).squareRoot() / meanNorm : 1
        var scaled = sample
        scaled.scale(by: inputScale)
        var initRNG = rng.fork(2)
        sae = SparseAutoencoder<Float>.initialised(
            architecture: options.architecture, inputSize: d, latents: m, k: options.k,
            decoderNorm: options.unitNormDecoder! ? 1 : 0.1, initialThreshold: options.initialThreshold, rng: &initRNG)
        sae.decoderBias = geometricMedian(scaled).map { Float($0) }
        logThreshold = sae.threshold.map { log($0) }
        let kind = OptimizerKind.adam(learningRate: options.learningRate)
        optimizers = [
            Optimizer(kind, parameterCount: sae.encoder.count), Optimizer(kind, parameterCount: sae.encoderBias.count),
            Optimizer(kind, parameterCount: sae.decoder.count), Optimizer(kind, parameterCount: d),
            Optimizer(kind, parameterCount: logThreshold.count),
            Optimizer(kind, parameterCount: sae.magnitudeLogScale.count), Optimizer(kind, parameterCount: sae.magnitudeBias.count)
        ]
        lastFired = [Int](repeating: 0, count: m)
        stream = try batches(rng.fork(1))
        self.rng = rng.fork(3)
    }

    /// Takes one step on the next minibatch and returns its figures.
    public mutating func advance() throws -> SAETrainingPoint {
        precondition(!isFinished, "SAETrainingSession.advance: the run is finished")
        var x = try stream.next()
        x.scale(by: Float(inputScale))
        step += 1
        let point = update(x)
        if step > options.steps - max(options.steps / 10, 1) { recent.append(point.loss) }
        let stride = max(options.steps / max(options.historyPoints, 1), 1)
        if step % stride == 0 || step == options.steps || step == 1 { history.append(point) }
        return point
    }

    /// The SAE as it stands, for raw activations: batch top-k becomes a JumpReLU with the
    /// learned threshold, and the input scale is folded into the weights.
    public func currentSAE() -> SparseAutoencoder<Float> {
        var out = sae
        if out.architecture == .batchtopk {
            out.threshold = [Float](repeating: Float(batchThreshold), count: out.latentCount)
        }
        return out.foldingInputScale(Float(inputScale))
    }

    /// The trained SAE and the record of the run.
    public func finish() -> SAETrainingRun {
        let n = Double(max(recent.count, 1))
        func mean(_ f: (SAEBatchLoss) -> Double) -> Double { recent.reduce(0) { $0 + f($1) } / n }
        let final = SAEBatchLoss(
            total: mean(\.total), mse: mean(\.mse), sparsity: mean(\.sparsity),
            auxiliary: mean(\.auxiliary), l0: mean(\.l0), fvu: mean(\.fvu))
        let summary = SAETrainingSummary(
            source: sourceName, options: options, inputScale: inputScale, history: history, final: final,
            resampledLatents: resampled, samplesSeen: stream.served,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return SAETrainingRun(sae: currentSAE(), summary: summary)
    }

    private func deadLatents(at step: Int) -> [Int] {
        (0..<lastFired.count).filter { step - lastFired[$0] > options.deadWindow! }
    }

    /// One optimisation step on a (normalised) batch.
    private mutating func update(_ x: Matrix<Float>) -> SAETrainingPoint {
        let usesAux = (options.architecture == .topk || options.architecture == .batchtopk) && options.auxKCoefficient > 0
        let settings = SAELossSettings(
            sparsityCoefficient: options.sparsityCoefficient, bandwidth: options.bandwidth,
            deadLatents: usesAux ? deadLatents(at: step) : [],
            auxKCoefficient: options.auxKCoefficient)
        let result = sae.lossAndGradient(x, settings: settings)
        for (j, n) in result.firingCounts.enumerated() where n > 0 { lastFired[j] = step }
        if let kept = result.smallestKept {
            batchThreshold = (1 - options.thresholdRate) * batchThreshold + options.thresholdRate * Double(kept)
        }
        var g = result.gradient
        if let maxNorm = options.maxGradientNorm { clip(&g, maxNorm: maxNorm) }
        if options.unitNormDecoder! { removeRadialComponent(&g.decoder) }
        let lrScale = options.learningRateScale(step: step)
        Self.adam(&sae.encoder, g.encoder, &optimizers[0], lrScale)
        Self.adam(&sae.encoderBias, g.encoderBias, &optimizers[1], lrScale)
        Self.adam(&sae.decoder, g.decoder, &optimizers[2], lrScale)
        Self.adam(&sae.decoderBias, g.decoderBias, &optimizers[3], lrScale)
        if sae.architecture == .jumprelu {
            Self.adam(&logThreshold, g.logThreshold, &optimizers[4], lrScale)
            sae.threshold = logThreshold.map { exp($0) }
        }
        // Gated: r_mag directly, as SAELens does (exp r_mag is positive whatever r_mag is).
        Self.adam(&sae.magnitudeLogScale, g.magnitudeLogScale, &optimizers[5], lrScale)
        Self.adam(&sae.magnitudeBias, g.magnitudeBias, &optimizers[6], lrScale)
        if options.unitNormDecoder! { normalizeDecoderRows() }
        if options.resampleEvery! > 0 && step % options.resampleEvery! == 0 && step < options.steps {
            resampleDeadLatents(x, step: step)
        }
        let dead = Double(deadLatents(at: step).count) / Double(lastFired.count)
        return SAETrainingPoint(step: step, loss: result.loss, deadFraction: dead, learningRate: options.learningRate * lrScale)
    }

    /// Adam on one matrix. The storage is moved out of the matrix for the update so that it is
    /// uniquely referenced and updated in place rather than copied.
    private static func adam(_ m: inout Matrix<Float>, _ g: Matrix<Float>, _ optimizer: inout Optimizer, _ scale: Double) {
        guard m.count > 0 else { return }
        let (rows, cols) = (m.rows, m.cols)
        var values = m.storage
        m = Matrix(rows: 0, cols: 0)
        optimizer.update(&values, gradient: g.storage, learningRateScale: scale)
        m = Matrix(rows: rows, cols: cols, storage: values)
    }

    private static func adam(_ v: inout [Float], _ g: [Float], _ optimizer: inout Optimizer, _ scale: Double) {
        guard !v.isEmpty else { return }
        optimizer.update(&v, gradient: g, learningRateScale: scale)
    }

    /// Scales every gradient so that their joint ℓ2 norm is at most `maxNorm`.
    private func clip(_ g: inout SAEGradient<Float>, maxNorm: Double) {
        let parts = [
            Double(g.encoder.frobeniusNorm()), Double(norm(g.encoderBias)), Double(g.decoder.frobeniusNorm()),
            Double(norm(g.decoderBias)), Double(norm(g.logThreshold)), Double(norm(g.magnitudeLogScale)),
            Double(norm(g.magnitudeBias))
        ]
        let total = parts.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard total > maxNorm else { return }
        let s = Float(maxNorm / total)
        g.encoder.scale(by: s)
        g.decoder.scale(by: s)
        g.encoderBias = g.encoderBias.map { $0 * s }
        g.decoderBias = g.decoderBias.map { $0 * s }
        g.logThreshold = g.logThreshold.map { $0 * s }
        g.magnitudeLogScale = g.magnitudeLogScale.map { $0 * s }
        g.magnitudeBias = g.magnitudeBias.map { $0 * s }
    }

    /// With unit-norm decoder rows only the change along the sphere matters: each row's
    /// gradient loses its component along the row (as in SAELens and Gao et al.).
    private func removeRadialComponent(_ g: inout Matrix<Float>) {
        let (rows, d) = (g.rows, g.cols)
        g.withUnsafeMutableBufferPointer { gp in
            sae.decoder.withUnsafeBufferPointer { dp in
                for j in 0..<rows {
                    let row = dp.baseAddress! + j * d, grad = gp.baseAddress! + j * d
                    let along = dotProduct(d, row, grad) / max(dotProduct(d, row, row), .leastNormalMagnitude)
                    addScaled(d, -along, row, grad)
                }
            }
        }
    }

    private mutating func normalizeDecoderRows() {
        let d = sae.inputSize
        let norms = sae.decoder.rowNorms()
        sae.decoder.withUnsafeMutableBufferPointer { p in
            for j in 0..<norms.count where norms[j] > 0 {
                let s = 1 / norms[j]
                for i in 0..<d { p[j * d + i] *= s }
            }
        }
    }

    /// Resampling (Bricken et al. 2023, as dictionary_learning does it): each dead latent gets
    /// a sample of the batch, drawn with probability ∝ its squared reconstruction error; its
    /// decoder row becomes that sample's direction (x − b_dec, normalised to the mean live
    /// decoder norm), its encoder row the same direction at 0.2 × the mean live encoder norm,
    /// its encoder bias 0, and its Adam state is cleared.
    private mutating func resampleDeadLatents(_ x: Matrix<Float>, step: Int) {
        let dead = deadLatents(at: step)
        guard !dead.isEmpty, dead.count < lastFired.count else { return }
        let d = sae.inputSize
        let error = sae.decode(sae.encode(x)) - x
        let weights = error.rowNorms().map { Double($0 * $0) }
        let total = weights.reduce(0, +)
        guard total > 0 else { return }
        let deadSet = Set(dead)
        let live = (0..<lastFired.count).filter { !deadSet.contains($0) }
        let encoderNorms = sae.encoder.rowNorms(), decoderNorms = sae.decoder.rowNorms()
        let encoderNorm = live.reduce(Float(0)) { $0 + encoderNorms[$1] } / Float(live.count) * 0.2
        let decoderNorm = live.reduce(Float(0)) { $0 + decoderNorms[$1] } / Float(live.count)
        for j in dead {
            var u = rng.uniform() * total
            var b = 0
            while b < weights.count - 1 && u >= weights[b] { u -= weights[b]; b += 1 }
            var direction = zip(x.row(b), sae.decoderBias).map { $0 - $1 }
            let length = norm(direction)
            guard length > 0 else { continue }
            direction = direction.map { $0 / length }
            sae.decoder.setRow(j, direction.map { $0 * decoderNorm })
            sae.encoder.setRow(j, direction.map { $0 * encoderNorm })
            sae.encoderBias[j] = 0
            optimizers[0].resetState(in: (j * d)..<((j + 1) * d))
            optimizers[1].resetState(in: j..<(j + 1))
            optimizers[2].resetState(in: (j * d)..<((j + 1) * d))
            lastFired[j] = step
            resampled += 1
        }
    }
}
