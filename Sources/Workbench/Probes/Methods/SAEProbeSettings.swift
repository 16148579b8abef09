import Interpret

/// What the `sae` and `sae-sweep` runs share: the activations they learn from and the training
/// settings, as probe parameters.
enum SAEProbeSettings {
    static let parameters = [
        ProbeParameter("model", .model, required: true, about: "the model whose layer the SAE reads"),
        ProbeParameter("layer", .string, required: true, about: "the layer (its activations are the SAE's input)"),
        ProbeParameter("architecture", .string, choices: SAEArchitecture.allCases.map(\.rawValue),
                       about: "standard, topk, batchtopk, jumprelu or matching_pursuit (default topk)"),
        ProbeParameter("latents", .integer, about: "dictionary size d_sae (default: expansion × d_in)"),
        ProbeParameter("expansion", .number, about: "d_sae / d_in when latents is not given (default 8)"),
        ProbeParameter("k", .integer, about: "active latents (top-k, batch top-k) or pursuit steps (MP-SAE); default 8"),
        ProbeParameter("l1", .number, about: "sparsity coefficient (standard, JumpReLU); default per architecture"),
        ProbeParameter("steps", .integer, about: "training steps (default 2000)"),
        ProbeParameter("batch", .integer, about: "samples per step (default 256)"),
        ProbeParameter("lr", .number, about: "learning rate (default 1e-3)"),
    ]

    static func validate(_ p: ProbeParameters) throws {
        for key in ["latents", "k", "steps", "batch"] {
            if let v = p.integer(key), v < 1 { throw WorkbenchError("\(key) must be at least 1") }
        }
        for key in ["expansion", "l1", "lr"] {
            if let v = p.number(key), !(v > 0) { throw WorkbenchError("\(key) must be positive") }
        }
    }

    static func options(_ p: ProbeParameters, seed: UInt64) -> SAETrainingOptions {
        SAETrainingOptions(architecture: SAEArchitecture(rawValue: p.string("architecture") ?? "topk")!,
                           latents: p.integer("latents"), expansionFactor: p.number("expansion") ?? 8, k: p.integer("k") ?? 8,
                           sparsityCoefficient: p.number("l1"), learningRate: p.number("lr") ?? 1e-3,
                           steps: p.integer("steps") ?? 2000, batchSize: p.integer("batch") ?? 256, seed: seed)
    }

    /// The run's layer over the run's data.
    static func source(_ run: ProbeRun, _ context: ProbeContext) throws -> (LayerActivationSource, String) {
        let alias = run.parameters.string("model")!
        let layer = run.parameters.string("layer")!
        let source = try LayerActivationSource(network: context.network(alias), layer: layer, data: context.data(for: run))
        return (source, "`\(context.reference(alias))` \(layer)")
    }
}
