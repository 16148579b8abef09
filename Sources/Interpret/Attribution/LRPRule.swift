import Foundation

/// How a linear or conv2d layer hands the relevance of its outputs down to its inputs
/// (docs/methods.md). Each rule computes exactly what Zennit's rule of the same name computes,
/// including where its biases enter and how it stabilises a denominator z: z + s·sign(z), with
/// sign(0) = +1. A parameter left nil takes its value from the `LRPConfiguration` (ε, γ, the
/// input box), so `epsilon` on the command line follows `--epsilon`.
///
/// With a, the layer's input, z = W a + b its output and s = R / stabilise(z):
///
/// | rule | R_in | Zennit |
/// |---|---|---|
/// | `lrp0` | a ⊙ Wᵀ(R / z) | Epsilon(epsilon=0) |
/// | `epsilon` | a ⊙ Wᵀ(R / (z + ε sign z)) | Epsilon |
/// | `zplus` | a⁺ ⊙ W⁺ᵀs + a⁻ ⊙ W⁻ᵀs, z = W⁺a⁺ + W⁻a⁻ + b⁺ | ZPlus |
/// | `alphabeta` | α(positive part) − β(negative part), α − β = 1 | AlphaBeta |
/// | `zb` | a ⊙ Wᵀs − l W⁺ᵀs − h W⁻ᵀs, z = Wa − W⁺l − W⁻h | ZBox |
/// | `w2` | (W²)ᵀs, z = W² 1 + b² | WSquare |
/// | `flat` | 1ᵀs, z = 1 1 (no bias) | Flat |
/// | `gamma` | the generalised γ-rule with W + γW⁺ and W + γW⁻ | Gamma |
public enum LRPRule: Equatable, Sendable, CustomStringConvertible {
    /// LRP-0: the ε-rule with ε = 0. A zero denominator passes no relevance (Zennit divides by
    /// zero there).
    case zero
    case epsilon(Double?)
    case zPlus
    case alphaBeta(alpha: Double, beta: Double)
    /// zB with the box [low, high] of the layer's input; nil takes the configuration's box, by
    /// default the network's `input.range`.
    case zBox(ClosedRange<Double>?)
    case wSquare
    case flat
    case gamma(Double?)

    /// The rule names `parse` accepts, with their optional parameters.
    public static let forms = ["lrp0", "epsilon[:E]", "zplus", "alphabeta[:A:B]", "zb[:LOW:HIGH]", "w2", "flat", "gamma[:G]"]
    public static let syntax = forms.joined(separator: ", ")

    /// Parses `NAME[:PARAM[:PARAM]]` as written on the command line: `epsilon:0.25`,
    /// `alphabeta:2:1`, `zb:-1:1`, `gamma`, … (aliases: `0`, `eps`, `z+`, `alpha2beta1`,
    /// `alpha1beta0`, `zbox`, `wsquare`).
    public static func parse(_ text: String) throws -> LRPRule {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased()
        let numbers = try parts.dropFirst().map { part -> Double in
            guard let v = Double(part), v.isFinite else {
                throw InterpretError("LRP rule '\(text)': '\(part)' is not a number")
            }
            return v
        }
        func arguments(_ allowed: Int...) throws {
            guard allowed.contains(numbers.count) else {
                let counts = allowed.map(String.init).joined(separator: " or ")
                throw InterpretError("LRP rule '\(text)': '\(name)' takes \(counts) parameters, got \(numbers.count)")
            }
        }
        let rule: LRPRule
        switch name {
        case "lrp0", "0", "zero": try arguments(0); rule = .zero
        case "epsilon", "eps": try arguments(0, 1); rule = .epsilon(numbers.first)
        case "zplus", "z+": try arguments(0); rule = .zPlus
        case "alphabeta", "ab":
            try arguments(0, 2)
            rule = numbers.isEmpty ? .alphaBeta(alpha: 2, beta: 1) : .alphaBeta(alpha: numbers[0], beta: numbers[1])
        case "alpha2beta1": try arguments(0); rule = .alphaBeta(alpha: 2, beta: 1)
        case "alpha1beta0": try arguments(0); rule = .alphaBeta(alpha: 1, beta: 0)
        case "zb", "zbox":
            try arguments(0, 2)
            guard numbers.isEmpty || numbers[0] <= numbers[1] else {
                throw InterpretError("LRP rule '\(text)': the box needs LOW ≤ HIGH")
            }
            rule = .zBox(numbers.isEmpty ? nil : numbers[0]...numbers[1])
        case "w2", "wsquare": try arguments(0); rule = .wSquare
        case "flat": try arguments(0); rule = .flat
        case "gamma": try arguments(0, 1); rule = .gamma(numbers.first)
        default:
            throw InterpretError("unknown LRP rule '\(text)'; rules: \(syntax)")
        }
        try rule.validate()
        return rule
    }

    /// Refuses parameters for which the rule is undefined (Zennit refuses the same).
    func validate() throws {
        switch self {
        case .epsilon(let e?) where e < 0:
            throw InterpretError("LRP rule \(self): ε must be ≥ 0")
        case .gamma(let g?) where g < 0:
            throw InterpretError("LRP rule \(self): γ must be ≥ 0")
        case .alphaBeta(let a, let b) where a < 0 || b < 0 || abs(a - b - 1) > 1e-12:
            throw InterpretError("LRP rule \(self): needs α ≥ 0, β ≥ 0 and α − β = 1 (so that relevance is conserved)")
        default: return
        }
    }

    /// The rule with every parameter filled in from the configuration.
    func resolved(epsilon: Double, gamma: Double, box: ClosedRange<Double>?) -> LRPRule? {
        switch self {
        case .epsilon(nil): return .epsilon(epsilon)
        case .gamma(nil): return .gamma(gamma)
        case .zBox(nil): return box.map { .zBox($0) }
        default: return self
        }
    }

    /// The name as `parse` reads it, parameters included when they are set.
    public var description: String {
        switch self {
        case .zero: return "lrp0"
        case .epsilon(let e): return e.map { "epsilon:\(format($0))" } ?? "epsilon"
        case .zPlus: return "zplus"
        case .alphaBeta(let a, let b): return "alphabeta:\(format(a)):\(format(b))"
        case .zBox(let box): return box.map { "zb:\(format($0.lowerBound)):\(format($0.upperBound))" } ?? "zb"
        case .wSquare: return "w2"
        case .flat: return "flat"
        case .gamma(let g): return g.map { "gamma:\(format($0))" } ?? "gamma"
        }
    }
}

extension LRPRule: TextCodable {
    public init(text: String) throws { self = try LRPRule.parse(text) }
}

/// A parameter as short as it reads unambiguously: 2 for 2.0, 1e-06, 0.25.
private func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : "\(v)"
}
