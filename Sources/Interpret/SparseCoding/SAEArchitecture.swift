/// How a sparse autoencoder turns an activation into a code (docs/methods.md). The raw values are
/// the `architecture` strings of SAELens's `cfg.json`.
public enum SAEArchitecture: String, Codable, CaseIterable, Sendable {
    /// ReLU, trained with an L1 penalty on f_j·‖W_dec,j‖.
    case standard
    /// The k largest pre-activations of each sample (after ReLU).
    case topk
    /// The k·B largest activations of a batch of B; at inference a JumpReLU with the learned
    /// threshold, which is how SAELens saves it.
    case batchtopk
    /// f = pre·(pre > θ), trained with an L0 penalty through a straight-through estimator.
    case jumprelu
    /// Gated (Rajamanoharan et al. 2024, SAELens's GatedSAE): W_enc is shared by a gate,
    /// π_gate = x̃ W_enc + b_gate, that decides which latents are active, and a magnitude path,
    /// x̃ (W_enc ⊙ exp r_mag) + b_mag, that gives their values; trained with an L1 penalty on
    /// ReLU(π_gate)_j·‖W_dec,j‖ and an auxiliary reconstruction from ReLU(π_gate).
    case gated
    /// Matching pursuit over unit-norm atoms (the rows of W_dec); no encoder.
    case matchingPursuit = "matching_pursuit"

    /// The names the command line accepts, the SAELens names first.
    public static func parse(_ name: String) throws -> SAEArchitecture {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        if let a = SAEArchitecture(rawValue: key) { return a }
        switch key {
        case "relu", "l1": return .standard
        case "top_k": return .topk
        case "batch_topk", "batch_top_k": return .batchtopk
        case "mp", "mp_sae", "mpsae": return .matchingPursuit
        default:
            throw InterpretError("unknown SAE architecture '\(name)'; use \(allCases.map(\.rawValue).joined(separator: ", ")) (or mp)")
        }
    }

    /// Sparsity is set by k (top-k, batch top-k, matching pursuit) rather than by a penalty.
    public var usesK: Bool { self == .topk || self == .batchtopk || self == .matchingPursuit }

    /// Architectures with an encoder matrix (all but matching pursuit).
    public var hasEncoder: Bool { self != .matchingPursuit }

    /// The sparsity penalty weights each latent by its decoder row's norm (standard, gated, as in
    /// SAELens), which is what stops a latent from shrinking its code by growing its decoder row;
    /// so these train with free decoder norms, the others with unit-norm rows.
    public var weighsPenaltyByDecoderNorm: Bool { self == .standard || self == .gated }
}
