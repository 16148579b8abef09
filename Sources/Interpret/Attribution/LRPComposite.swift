import Networks

/// Which rule each linear and conv2d layer gets (docs/methods.md). The Zennit composites keep
/// exactly Zennit's layer maps: a conv2d layer is Zennit's `Convolution`, a linear layer its
/// `torch.nn.Linear`, and "first layer" is the first layer of the type Zennit's first map names.
///
/// | composite | first layer | conv2d | linear |
/// |---|---|---|---|
/// | `epsilon-plus` | — | z⁺ | ε |
/// | `epsilon-plus-flat` | flat (first linear or conv2d) | z⁺ | ε |
/// | `epsilon-gamma-box` | zB (first conv2d only) | γ | ε |
/// | `alpha2-beta1` | — | α2β1 | ε |
/// | `deep-taylor` | zB (first linear or conv2d) | by what follows | by what follows |
///
/// `deep-taylor` is Loupe's own: a layer followed by ReLU gets z⁺, one followed by no
/// nonlinearity (the output layer, or a linear map straight into another) gets w², one followed
/// by another nonlinearity (tanh, sigmoid, GELU, a bilinear layer) gets ε. Pooling, flatten and
/// identity between a layer and its activation are looked through.
///
/// A rule name as a composite (`epsilon`, `zplus`, …) puts that rule on every linear and conv2d
/// layer. Every composite leaves activations alone (Zennit's `Pass`), passes relevance through
/// max-pooling to each window's winner, treats average pooling as a bias-free linear layer
/// (Zennit's `Norm`), and the bilinear layer gets its quadratic-share rule.
public enum LRPComposite: Equatable, Sendable, CustomStringConvertible {
    case epsilonPlus
    case epsilonPlusFlat
    case epsilonGammaBox
    case alpha2Beta1
    case deepTaylor
    case uniform(LRPRule)

    public static let names = ["epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box", "alpha2-beta1", "deep-taylor"]

    /// A composite name, or a rule name for that rule on every layer.
    public static func parse(_ text: String) throws -> LRPComposite {
        switch text.lowercased() {
        case "epsilon-plus": return .epsilonPlus
        case "epsilon-plus-flat": return .epsilonPlusFlat
        case "epsilon-gamma-box": return .epsilonGammaBox
        case "alpha2-beta1": return .alpha2Beta1
        case "deep-taylor": return .deepTaylor
        default:
            guard let rule = try? LRPRule.parse(text) else {
                throw InterpretError(
                    "unknown composite '\(text)'; composites: \(names.joined(separator: ", ")), or one rule for every layer: \(LRPRule.syntax)"
                )
            }
            return .uniform(rule)
        }
    }

    public var description: String {
        switch self {
        case .epsilonPlus: return "epsilon-plus"
        case .epsilonPlusFlat: return "epsilon-plus-flat"
        case .epsilonGammaBox: return "epsilon-gamma-box"
        case .alpha2Beta1: return "alpha2-beta1"
        case .deepTaylor: return "deep-taylor"
        case .uniform(let rule): return rule.description
        }
    }

    /// The composite's rule for every linear and conv2d layer, by layer index (parameters
    /// still unresolved).
    func rules<T>(for layers: [Layer<T>]) -> [Int: LRPRule] {
        let affine = layers.indices.filter { isAffine(layers[$0]) }
        let convolutions = affine.filter { if case .conv2d = layers[$0].operation { return true } else { return false } }
        var rules: [Int: LRPRule] = [:]
        for i in affine {
            let isConv = convolutions.contains(i)
            switch self {
            case .epsilonPlus: rules[i] = isConv ? .zPlus : .epsilon(nil)
            case .epsilonPlusFlat: rules[i] = i == affine.first ? .flat : isConv ? .zPlus : .epsilon(nil)
            case .epsilonGammaBox: rules[i] = i == convolutions.first ? .zBox(nil) : isConv ? .gamma(nil) : .epsilon(nil)
            case .alpha2Beta1: rules[i] = isConv ? .alphaBeta(alpha: 2, beta: 1) : .epsilon(nil)
            case .deepTaylor: rules[i] = i == affine.first ? .zBox(nil) : deepTaylorRule(after: i, in: layers)
            case .uniform(let rule): rules[i] = rule
            }
        }
        return rules
    }

    private func deepTaylorRule<T>(after i: Int, in layers: [Layer<T>]) -> LRPRule {
        let next = layers[(i + 1)...].first { layer in
            switch layer.operation {
            case .pool, .flatten, .reshape, .permute, .softmax, .activation(.identity), .activation(.dropout): return false
            default: return true
            }
        }
        switch next?.operation {
        case .activation(.relu): return .zPlus
        case nil, .linear, .conv2d: return .wSquare
        default: return .epsilon(nil)
        }
    }
}

extension LRPComposite: TextCodable {
    public init(text: String) throws { self = try LRPComposite.parse(text) }
}

/// Linear and conv2d: the layers LRP rules apply to.
func isAffine<T>(_ layer: Layer<T>) -> Bool {
    switch layer.operation {
    case .linear, .conv2d: return true
    default: return false
    }
}
