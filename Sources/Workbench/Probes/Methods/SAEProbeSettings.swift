import Figures
import Interpret

/// What the `sae` and `sae-sweep` runs share: the activations they learn from and the training
/// settings, as probe parameters.
enum SAEProbeSettings {
    /// What a run does not say comes from the training options' defaults.
    static let defaults = SAETrainingOptions.defaults

    static let parameters = [
        ProbeParameter("model", .model, required: true, about: "the model whose layer the SAE reads"),
        ProbeParameter("layer", .string, required: true, about: "the layer (its activations are the SAE's input)"),
        ProbeParameter(
            "architecture", .string, choices: SAEArchitecture.allCases.map(\.rawValue),
            about: "the SAE architecture (default \(defaults.architecture.rawValue))"),
        ProbeParameter("latents", .integer, about: "dictionary size d_sae (default: expansion × d_in)"),
        ProbeParameter(
            "expansion", .number,
            about: "d_sae / d_in when latents is not given (default \(NumberFormat.readable(defaults.expansionFactor)))"),
        ProbeParameter("k", .integer, about: "active latents (top-k, batch top-k) or pursuit steps (MP-SAE); default \(defaults.k)"),
        ProbeParameter("l1", .number, about: "sparsity coefficient (standard, gated, JumpReLU); default per architecture"),
        ProbeParameter("steps", .integer, about: "training steps (default \(defaults.steps))"),
        ProbeParameter("batch", .integer, about: "samples per step (default \(defaults.batchSize), at most the data's samples)"),
        ProbeParameter("lr", .number, about: "learning rate (default \(NumberFormat.readable(defaults.learningRate)))")
    ]

    static func validate(_ p: ProbeParameters) throws {
        for key in ["latents", "k", "steps", "batch"] {
            if let v = p.integer(key), v < 1 { throw WorkbenchError("\(key) must be at least 1") }
        }
        for key in ["expansion", "l1", "lr"] {
            if let v = p.number(key), !(v > 0) { throw WorkbenchError("\(key) must be positive") }
        }
    }

    /// The run's training options: the defaults, with what the run sets; a batch is at most the
    /// `samples` there are.
    static func options(_ p: ProbeParameters, seed: UInt64, samples: Int) -> SAETrainingOptions {
        SAETrainingOptions(
            architecture: p.string("architecture").flatMap { try? SAEArchitecture.parse($0) } ?? defaults.architecture,
            latents: p.integer("latents"), expansionFactor: p.number("expansion") ?? defaults.expansionFactor,
            k: p.integer("k") ?? defaults.k, sparsityCoefficient: p.number("l1"),
            learningRate: p.number("lr") ?? defaults.learningRate, steps: p.integer("steps") ?? defaults.steps,
            batchSize: min(p.integer("batch") ?? defaults.batchSize, samples), seed: seed)
    }

    /// The run's layer over the run's data (or `model`'s `layer`: the second SAE of `sae-match`).
    static func source(
        _ run: ProbeRun, _ context: ProbeContext, model: String? = nil, layer: String? = nil
    ) throws -> (LayerActivationSource, String) {
        let alias = model ?? run.parameters.string("model")!
        let layer = layer ?? run.parameters.string("layer")!
        let source = try LayerActivationSource(network: context.network(alias), layer: layer, data: context.data(for: run))
        return (source, "`\(context.reference(alias))` \(layer)")
    }
}
