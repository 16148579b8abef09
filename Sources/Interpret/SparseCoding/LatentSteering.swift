import Foundation
import LinAlg
import Transformers

/// What steering with a latent, or ablating it, does to a language model's next-token
/// distribution after a prompt: the SAE's hook point changed at every (non-special) token of the
/// prompt, the distributions at its last token compared.
public struct LatentSteering: Codable, Sendable, Equatable {
    public enum Change: Codable, Sendable, Equatable {
        /// x + α·d_j: the latent's decoder direction added.
        case steer(alpha: Double)
        /// x − f_j(x)·d_j: the latent's part of the reconstruction taken out, the SAE's error kept.
        case ablate
    }

    public struct Candidate: Codable, Sendable, Equatable {
        public var token: Int
        public var text: String
        public var before: Double
        public var after: Double
    }

    public var hook: String
    public var latent: Int
    public var change: Change
    public var tokens: Int
    /// The latent's activation at the prompt's last token, before the change.
    public var activation: Double
    /// The likeliest next tokens before the change, then those the change made likeliest.
    public var before: [Candidate]
    public var after: [Candidate]
    /// KL(p_before ‖ p_after) of the next token, in nats.
    public var kl: Double

    /// Candidates listed on each side.
    public static let listed = 10

    public static func measure(
        _ sae: SparseAutoencoder<Float>, latent j: Int, change: Change, on model: Transformer, hook: String, prompt ids: [Int],
        special: Set<Int>
    ) throws -> LatentSteering {
        guard j >= 0, j < sae.latentCount else { throw InterpretError("latent \(j) is not one of the SAE's \(sae.latentCount)") }
        guard model.hasHead, let tokenizer = model.tokenizer else {
            throw InterpretError(
                "\(model.name): steering compares next-token distributions; it needs a language-model head and a tokenizer")
        }
        let width = try model.hookPoint(hook).width
        guard width == sae.inputSize else {
            throw InterpretError("\(hook) has \(width) values per token, the SAE takes d_in = \(sae.inputSize)")
        }
        let direction = Array(sae.decoder.row(j))
        let clean = try model.run(contexts: [ids], keeping: [hook, "logits"])
        let x = clean.hooks[hook]!
        let codes = sae.encode(x).dense
        let replace: (Matrix<Float>) -> Matrix<Float> = { x in
            var out = x
            for r in 0..<x.rows where !special.contains(ids[r]) {
                let scale: Float
                switch change {
                case .steer(let alpha): scale = Float(alpha)
                case .ablate: scale = -codes[r, j]
                }
                out.setRow(r, zip(x.row(r), direction).map { $0 + scale * $1 })
            }
            return out
        }
        let steered = try model.run(contexts: [ids], keeping: ["logits"], splicing: [HookSplice(hook, replace)]).hooks["logits"]!
        let (p, q) = (Logits.probabilities(clean.hooks["logits"]!.row(ids.count - 1)), Logits.probabilities(steered.row(ids.count - 1)))
        func candidates(by order: [Double]) -> [Candidate] {
            order.indices.sorted { order[$0] > order[$1] }.prefix(listed).map {
                Candidate(token: $0, text: tokenizer.decode([$0], skipSpecialTokens: false), before: p[$0], after: q[$0])
            }
        }
        let kl = zip(p, q).reduce(0.0) { $0 + ($1.0 > 0 ? $1.0 * (log($1.0) - log(max($1.1, .leastNormalMagnitude))) : 0) }
        return LatentSteering(
            hook: hook, latent: j, change: change, tokens: ids.count, activation: Double(codes[ids.count - 1, j]),
            before: candidates(by: p), after: candidates(by: q), kl: kl)
    }
}
