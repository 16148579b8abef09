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
}
