import Foundation
import LinAlg
import TensorIO

/// What SAELens's cfg.json records about the activations an SAE reads: the model, its hook point
/// (a TransformerLens name such as blocks.8.hook_resid_pre) and how text became contexts.
/// SAELens 6 keeps these under `metadata`; SAELens 5 and earlier wrote them at the top level.
public struct SAELensMetadata: Sendable, Equatable {
    public var modelName: String?
    public var hookName: String?
    /// The one attention head the SAE reads, for hook points with a head axis.
    public var hookHeadIndex: Int?
    /// Tokens per context, and whether each context starts with the BOS token.
    public var contextSize: Int?
    public var prependBOS: Bool?

    public init(
        modelName: String? = nil, hookName: String? = nil, hookHeadIndex: Int? = nil, contextSize: Int? = nil,
        prependBOS: Bool? = nil
    ) {
        self.modelName = modelName
        self.hookName = hookName
        self.hookHeadIndex = hookHeadIndex
        self.contextSize = contextSize
        self.prependBOS = prependBOS
    }

    var isEmpty: Bool { self == SAELensMetadata() }

    /// The fields of a cfg.json already in SAELens 6's layout (`SAELensConfig.current`).
    init(_ cfg: [String: Any]) {
        let fields = cfg["metadata"] as? [String: Any] ?? [:]
        modelName = fields["model_name"] as? String
        hookName = fields["hook_name"] as? String
        hookHeadIndex = fields["hook_head_index"] as? Int
        contextSize = fields["context_size"] as? Int
        prependBOS = fields["prepend_bos"] as? Bool
    }

    /// The keys SAELens 6 reads under `metadata`.
    var json: [String: Any] {
        var out: [String: Any] = [:]
        if let modelName { out["model_name"] = modelName }
        if let hookName { out["hook_name"] = hookName }
        if let hookHeadIndex { out["hook_head_index"] = hookHeadIndex }
        if let contextSize { out["context_size"] = contextSize }
        if let prependBOS { out["prepend_bos"] = prependBOS }
        return out
    }
}

/// How the cfg.json of each SAELens version is read, as SAELens 6.54 reads it
/// (`handle_config_defaulting` and the SAE classes of sae_lens/saes).
enum SAELensConfig {
    /// The file SAELens writes beside a training checkpoint with the input scale it has not yet
    /// folded into the weights: {"scaling_factor": s}.
    static let activationScalerName = "activation_scaler.json"

    /// The keys SAELens 6 moves under `metadata` when it reads an older config.
    static let metadataKeys: Set<String> = [
        "model_name", "hook_name", "model_class_name", "hook_head_index", "model_from_pretrained_kwargs", "prepend_bos",
        "exclude_special_tokens", "neuronpedia_id", "context_size", "seqpos_slice", "dataset_path", "sae_lens_version",
        "sae_lens_training_version"
    ]

    /// The major version of SAELens that wrote `cfg` (under `metadata` from SAELens 6 on), or nil
    /// when the file does not say.
    static func majorVersion(_ cfg: [String: Any]) -> Int? {
        let version = cfg["sae_lens_version"] as? String ?? (cfg["metadata"] as? [String: Any])?["sae_lens_version"] as? String
        return version.flatMap { Int($0.prefix { $0.isNumber }) }
    }

    /// `cfg` in SAELens 6's layout. Configs of SAELens 5 and earlier (or that name no version)
    /// are converted as SAELens does: hook_point is hook_name, activation_fn_str is activation_fn,
    /// an activation_fn "topk" with activation_fn_kwargs.k is a top-k SAE, a boolean
    /// normalize_activations is "expected_average_only_in" or "none", and the model and hook
    /// fields move under `metadata`.
    static func current(_ cfg: [String: Any]) -> [String: Any] {
        if let major = majorVersion(cfg), major >= 6 { return cfg }
        let renamed = ["hook_point": "hook_name", "hook_point_head_index": "hook_head_index", "activation_fn_str": "activation_fn"]
        var out: [String: Any] = [:]
        for (key, value) in cfg { out[renamed[key] ?? key] = value }
        if out["activation_fn"] as? String == "topk", let k = (out["activation_fn_kwargs"] as? [String: Any])?["k"] as? Int {
            out["architecture"] = "topk"
            out["k"] = k
        }
        if let normalize = out["normalize_activations"] as? Bool {
            out["normalize_activations"] = normalize ? "expected_average_only_in" : "none"
        }
        var metadata = out["metadata"] as? [String: Any] ?? [:]
        for key in metadataKeys { if let value = out[key], !(value is NSNull) { metadata[key] = value } }
        out["metadata"] = metadata
        return out
    }

    /// The input scale to fold into the weights for `normalize_activations`: nil for "none";
    /// for "expected_average_only_in" the scaling factor of SAELens's activation_scaler.json (SAELens
    /// folds it before saving a final SAE; a training checkpoint keeps it beside the weights).
    /// Normalisations that depend on each sample are refused.
    static func inputScale(_ cfg: [String: Any], cfgPath: String, scalerPath: String, scaler readScaler: () throws -> Data?) throws
        -> Double?
    {
        let value = cfg["normalize_activations"].flatMap { $0 is NSNull ? nil : $0 } ?? "none"
        guard let normalization = value as? String else {
            throw InterpretError("\(cfgPath): 'normalize_activations' must be a string, found \(jsonTypeName(value))")
        }
        switch normalization {
        case "none":
            return nil
        case "expected_average_only_in":
            guard let data = try readScaler() else {
                throw InterpretError(
                    "\(cfgPath): normalize_activations is 'expected_average_only_in' but no \(activationScalerName) beside it gives the scaling factor; write {\"scaling_factor\": s} there (SAELens's pretrained_saes.yaml lists s as norm_scaling_factor)"
                )
            }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            guard let s = object?["scaling_factor"] as? Double, s.isFinite, s > 0 else {
                throw InterpretError("\(scalerPath): 'scaling_factor' must be a positive number")
            }
            return s
        default:
            throw InterpretError(
                "\(cfgPath): normalize_activations '\(normalization)' is not supported; Loupe reads 'none' and 'expected_average_only_in' (fold the normalisation into the weights first)"
            )
        }
    }
}
