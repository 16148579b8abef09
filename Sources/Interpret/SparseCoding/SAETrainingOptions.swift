import TensorIO

/// Everything that decides how an SAE is trained. Defaults follow SAELens and the papers each
/// architecture comes from; `resolved(inputSize:)` fills in the ones that depend on the data.
public struct SAETrainingOptions: Codable, Sendable, Equatable {
    public var architecture: SAEArchitecture
    /// d_sae; when nil, `expansionFactor`·d_in.
    public var latents: Int?
    public var expansionFactor: Double
    /// Active latents per sample (top-k, matching pursuit) or on average (batch top-k).
    public var k: Int
    /// λ: the L1 coefficient (standard, gated) or the L0 coefficient (JumpReLU).
    public var sparsityCoefficient: Double
    public var learningRate: Double
    public var steps: Int
    public var batchSize: Int
    /// Linear warm-up of the learning rate from 0 over this many steps (nil: 5 % of the steps).
    public var warmupSteps: Int?
    /// The learning rate decays linearly to 0 over this final fraction of the steps.
    public var decayFraction: Double
    /// Clip the gradient's global ℓ2 norm (nil: no clipping).
    public var maxGradientNorm: Double?
    /// Scale the inputs by √d_in / E‖x‖ during training (folded into the saved weights).
    public var normalizeInput: Bool
    /// Keep decoder rows at unit norm (nil: yes for every architecture but standard and gated,
    /// whose L1 is weighted by the decoder norms instead, as in SAELens).
    public var unitNormDecoder: Bool?
    /// A latent that has not fired for this many steps is dead (nil: a tenth of the run, at
    /// least 10 and at most 1000 steps).
    public var deadWindow: Int?
    /// α of the auxiliary-k loss (top-k family; 0 turns it off).
    public var auxKCoefficient: Double
    /// Resample dead latents every this many steps (standard only; nil: at a quarter, half and
    /// three quarters of the run; 0: never).
    public var resampleEvery: Int?
    /// JumpReLU: width of the straight-through estimator's kernel, and the initial threshold
    /// (defaults 0.05 and 0.5 on normalised inputs: SAELens's 0.001 and 0.001 leave almost no
    /// pre-activation inside the kernel, so the thresholds hardly move in a short run).
    public var bandwidth: Double
    public var initialThreshold: Double
    /// Batch top-k: rate of the running estimate of the inference threshold.
    public var thresholdRate: Double
    public var seed: UInt64
    /// The training curves keep about this many points.
    public var historyPoints: Int

    /// Every default in one place: what the command line, probes and (through `workbench`) the
    /// workbench start from.
    public static let defaults = SAETrainingOptions()

    /// The workbench's quick SAE: the defaults, with a smaller dictionary and a short run, so
    /// that training on the demo data takes seconds and its curves can be watched live.
    public static var workbench: SAETrainingOptions {
        var o = defaults
        o.expansionFactor = 4
        o.steps = 300
        o.batchSize = 128
        return o
    }

    public init(
        architecture: SAEArchitecture = .topk, latents: Int? = nil, expansionFactor: Double = 8, k: Int = 32,
        sparsityCoefficient: Double? = nil, learningRate: Double = 1e-3, steps: Int = 1000, batchSize: Int = 4096,
        warmupSteps: Int? = nil, decayFraction: Double = 0.2, maxGradientNorm: Double? = 1,
        normalizeInput: Bool = true, unitNormDecoder: Bool? = nil, deadWindow: Int? = nil,
        auxKCoefficient: Double = 1.0 / 32, resampleEvery: Int? = nil, bandwidth: Double? = nil,
        initialThreshold: Double? = nil, thresholdRate: Double = 0.01, seed: UInt64 = 0, historyPoints: Int = 500
    ) {
        self.architecture = architecture
        self.latents = latents
        self.expansionFactor = expansionFactor
        self.k = k
        self.sparsityCoefficient = sparsityCoefficient ?? Self.defaultSparsityCoefficient(architecture)
        self.learningRate = learningRate
        self.steps = steps
        self.batchSize = batchSize
        self.warmupSteps = warmupSteps
        self.decayFraction = decayFraction
        self.maxGradientNorm = maxGradientNorm
        self.normalizeInput = normalizeInput
        self.unitNormDecoder = unitNormDecoder
        self.deadWindow = deadWindow
        self.auxKCoefficient = auxKCoefficient
        self.resampleEvery = resampleEvery
        self.bandwidth = bandwidth ?? 0.05
        self.initialThreshold = initialThreshold ?? 0.5
        self.thresholdRate = thresholdRate
        self.seed = seed
        self.historyPoints = historyPoints
    }

    /// λ that gives a sparse code (L0 of a few per cent of d_in) on inputs normalised to norm √d_in.
    /// Gated's gate is a standard SAE's code with a reconstruction term of its own, which keeps
    /// more latents open at a given λ: on `loupe sae synth`'s data (5 of 256 features active,
    /// d_in 64, d_sae 512, 1000 steps of 4096) λ 5 gives L0 10.7 at FVU 0.14 where the standard
    /// SAE's 3 gives L0 12.2 at FVU 0.25 (gated λ 1: L0 39; λ 20: every latent shut).
    public static func defaultSparsityCoefficient(_ a: SAEArchitecture) -> Double {
        switch a {
        case .standard: return 3
        case .gated: return 5
        case .jumprelu: return 1
        case .topk, .batchtopk, .matchingPursuit: return 0
        }
    }

    /// The options with every data-dependent default filled in, checked; one line naming the
    /// option when one is out of range.
    public func resolved(inputSize d: Int) throws -> SAETrainingOptions {
        var o = self
        let expanded = (expansionFactor * Double(d)).rounded()
        guard latents != nil || (expanded.isFinite && expanded >= 1 && expanded <= Double(Int32.max)) else {
            throw InterpretError("expansion factor \(expansionFactor) × d_in \(d) does not give a usable d_sae (1 … \(Int32.max))")
        }
        o.latents = latents ?? Int(expanded)
        o.warmupSteps = warmupSteps ?? steps / 20
        o.unitNormDecoder = unitNormDecoder ?? !architecture.weighsPenaltyByDecoderNorm
        o.deadWindow = deadWindow ?? min(1000, max(10, steps / 10))
        o.resampleEvery = architecture == .standard ? (resampleEvery ?? max(steps / 4, 1)) : 0
        let m = o.latents!
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw InterpretError(message) } }
        try check(d > 0, "the activations have no features")
        try check(m > 0, "d_sae must be positive (got \(m))")
        try check(steps > 0, "steps must be positive (got \(steps))")
        try check(batchSize > 0, "batch size must be positive (got \(batchSize))")
        try check(learningRate > 0 && learningRate.isFinite, "learning rate must be positive (got \(learningRate))")
        try check(sparsityCoefficient >= 0, "the sparsity coefficient must not be negative (got \(sparsityCoefficient))")
        try check((0...1).contains(decayFraction), "the decay fraction must be in [0, 1] (got \(decayFraction))")
        try check(maxGradientNorm.map { $0 > 0 } ?? true, "the gradient clipping norm must be positive")
        try check(o.warmupSteps! >= 0 && o.deadWindow! > 0, "warm-up steps must not be negative, the dead window must be positive")
        if architecture.usesK {
            try check(k > 0 && k <= m, "k must be between 1 and d_sae = \(m) (got \(k))")
        }
        // Training holds the encoder and decoder with their gradients and two Adam moments
        // (8·d·d_sae), and a batch's pre-activations, codes and their gradients (3·B·d_sae; gated
        // has two paths: the product, both codes and both gradients, 5·B·d_sae).
        try MemoryBudget.check(
            MemoryBudget.sum([
                MemoryBudget.product(8, d, m, MemoryLayout<Float>.size),
                MemoryBudget.product(architecture == .gated ? 5 : 3, batchSize, m, MemoryLayout<Float>.size)
            ]),
            for: "training an SAE of d_in \(d) × d_sae \(m) with batches of \(batchSize)")
        if architecture == .jumprelu {
            try check(bandwidth > 0 && initialThreshold > 0, "JumpReLU needs a positive bandwidth and initial threshold")
        }
        return o
    }

    /// The learning-rate multiplier at `step` (1-based): linear warm-up, constant, linear decay.
    func learningRateScale(step: Int) -> Double {
        let warmup = warmupSteps ?? 0
        if step <= warmup { return Double(step) / Double(warmup + 1) }
        let decaySteps = Int((decayFraction * Double(steps)).rounded())
        let decayStart = steps - decaySteps
        if decaySteps > 0 && step > decayStart { return Double(steps - step + 1) / Double(decaySteps + 1) }
        return 1
    }
}
