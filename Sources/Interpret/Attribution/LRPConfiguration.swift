import Networks

/// Everything that decides an LRP explanation besides the network, the input and the target.
/// The defaults are Zennit's: ε = 1e-6, γ = 0.25, stabiliser 1e-6, biases absorb relevance.
public struct LRPConfiguration: Equatable, Sendable, Codable {
    public var composite: LRPComposite
    /// Rules for single layers, by layer name; they replace the composite's choice.
    public var layerRules: [String: LRPRule]
    /// ε of every ε-rule that does not set its own.
    public var epsilon: Double
    /// γ of every γ-rule that does not set its own.
    public var gamma: Double
    /// The s in z + s·sign(z) of every rule but ε (Zennit's `stabilizer`).
    public var stabilizer: Double
    /// Whether biases take part in the rules and so absorb relevance (Zennit without
    /// `zero_params=['bias']`). Off, relevance is conserved up to the stabiliser.
    public var biasAbsorbsRelevance: Bool
    /// The box of valid inputs for zB; nil takes the network's `input.range`.
    public var inputBox: ClosedRange<Double>?

    public init(
        composite: LRPComposite = .epsilonPlus, layerRules: [String: LRPRule] = [:], epsilon: Double = 1e-6,
        gamma: Double = 0.25, stabilizer: Double = 1e-6, biasAbsorbsRelevance: Bool = true,
        inputBox: ClosedRange<Double>? = nil
    ) {
        self.composite = composite
        self.layerRules = layerRules
        self.epsilon = epsilon
        self.gamma = gamma
        self.stabilizer = stabilizer
        self.biasAbsorbsRelevance = biasAbsorbsRelevance
        self.inputBox = inputBox
    }

    /// The composite's name, with the layers given their own rule: `epsilon-plus [fc2=gamma:0.5]`.
    public var name: String {
        guard !layerRules.isEmpty else { return composite.description }
        return composite.description + " [" + layerRules.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            + "]"
    }

    /// The resolved rule of every linear and conv2d layer among `layers`, by layer index, after
    /// checking that the overrides name such layers and that every parameter is valid.
    /// `readsTokenIds`: the network's input is token ids (its input.range is theirs).
    func rules<T>(for layers: [Layer<T>], network: String, inputRange: [Double]?, readsTokenIds: Bool) throws -> [Int: LRPRule] {
        for (key, value) in [("ε", epsilon), ("γ", gamma), ("stabiliser", stabilizer)] where !(value >= 0 && value.isFinite) {
            throw InterpretError("LRP: \(key) must be a finite number ≥ 0, got \(value)")
        }
        var rules = composite.rules(for: layers)
        for (name, rule) in layerRules.sorted(by: { $0.key < $1.key }) {
            guard let i = layers.firstIndex(where: { $0.name == name }) else {
                let names = layers.filter(isAffine).map(\.name).joined(separator: ", ")
                throw InterpretError(
                    "--rule \(name)=\(rule): model '\(network)' has no layer '\(name)'; its linear and conv2d layers: \(names)")
            }
            guard isAffine(layers[i]) else {
                let kind = layers[i].operation.kind
                let why =
                    kind == "bilinear"
                    ? "a bilinear layer always takes the quadratic-share rule" : "rules apply to linear and conv2d layers"
                throw InterpretError("--rule \(name)=\(rule): layer '\(name)' is \(kind); \(why)")
            }
            try rule.validate()
            rules[i] = rule
        }
        // A model that reads token ids has their range as its input.range; the layers after its
        // embedding read vectors, whose box that is not.
        let box =
            try inputBox
            ?? (readsTokenIds ? nil : inputRange).map { range -> ClosedRange<Double> in
                guard range.count == 2, range[0] <= range[1] else {
                    throw InterpretError("model '\(network)': input.range must be [low, high], got \(range)")
                }
                return range[0]...range[1]
            }
        var resolved: [Int: LRPRule] = [:]
        for (i, rule) in rules.sorted(by: { $0.key < $1.key }) {
            guard let r = rule.resolved(epsilon: epsilon, gamma: gamma, box: box) else {
                throw InterpretError(
                    readsTokenIds
                        ? "zB on layer '\(layers[i].name)' needs the box of the values it reads, but model '\(network)' reads token ids, whose range is not that box; give one (e.g. --box -3,3 or the rule zb:LOW:HIGH)"
                        : "zB on layer '\(layers[i].name)' needs the box of valid inputs, but model '\(network)' has no input.range; give one (e.g. --box 0,1 or the rule zb:LOW:HIGH)"
                )
            }
            resolved[i] = r
        }
        return resolved
    }
}
