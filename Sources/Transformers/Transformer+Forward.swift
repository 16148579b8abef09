import LinAlg

/// What one forward pass gave: the hook points asked for, [tokens, width] each (a pattern
/// [heads·tokens, tokens]), and the logits [tokens, vocabulary] when asked for.
public struct TransformerActivations: Sendable {
    public var hooks: [String: Matrix<Float>] = [:]
}

extension Transformer {
    /// Runs one context of token ids and keeps the hook points named in `wanted` ("logits"
    /// among them). The pass stops after the last block a wanted hook point needs.
    public func run(_ ids: [Int], keeping wanted: Set<String>) throws -> TransformerActivations {
        try run(contexts: [ids], keeping: wanted)
    }

    /// Runs several contexts at once, their tokens stacked in rows (each context attends only
    /// within itself; every other step is one product over all rows): each hook point kept is
    /// every context's rows in order. An attention pattern is kept for a single context only.
    /// `splicing` replaces the value at hook points (`HookSplice`); what is kept there, and what
    /// the pass goes on with, is the replacement.
    public func run(contexts: [[Int]], keeping wanted: Set<String>, splicing: [HookSplice] = []) throws -> TransformerActivations {
        guard !contexts.isEmpty, contexts.allSatisfy({ !$0.isEmpty }) else {
            throw TransformerError("model '\(name)': a context needs at least one token")
        }
        let longest = contexts.map(\.count).max()!
        if positions != nil, longest > config.maxPositions {
            throw TransformerError(
                "model '\(name)': a context of \(longest) tokens is longer than its \(config.maxPositions) learned positions")
        }
        let ids = contexts.flatMap { $0 }
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw TransformerError("model '\(name)': token id \(bad) is outside its vocabulary of \(config.vocabSize)")
        }
        for w in wanted {
            if try hookPoint(w).isPattern, contexts.count > 1 {
                throw TransformerError("\(w): an attention pattern is kept for one context at a time")
            }
        }
        for s in splicing {
            guard canSplice(s.hook) else {
                throw TransformerError(
                    "\(s.hook): a splice replaces a block's hook_resid_pre/mid/post, hook_attn_out, mlp.hook_post or hook_mlp_out of \(name)"
                )
            }
        }
        var ranges: [Range<Int>] = []
        for c in contexts { ranges.append((ranges.last?.upperBound ?? 0)..<((ranges.last?.upperBound ?? 0) + c.count)) }
        let lastBlock =
            wanted.contains("logits") || wanted.contains("ln_final.hook_normalized")
            ? blocks.count - 1 : (wanted.compactMap(Self.blockIndex) + splicing.compactMap { Self.blockIndex($0.hook) }).max() ?? -1

        var out = TransformerActivations()
        func record(_ hook: String, _ value: @autoclosure () -> Matrix<Float>) {
            if wanted.contains(hook) { out.hooks[hook] = value() }
        }
        var x = embedding.rows(ids)
        record("hook_embed", x)
        if let positions {
            let p = positions.rows(contexts.flatMap { Array(0..<$0.count) })
            record("hook_pos_embed", p)
            x = x + p
        }
        if let tokenType {
            record(
                "hook_token_type_embed",
                Matrix(rows: ids.count, cols: tokenType.count, storage: Array((0..<ids.count).map { _ in tokenType }.joined())))
            x.addToEachRow(tokenType)
        }
        if let embeddingNorm { x = embeddingNorm(x) }
        for (i, block) in blocks.enumerated() where i <= lastBlock {
            let splices = Dictionary(splicing.filter { Self.blockIndex($0.hook) == i }.map { ($0.hook, $0.replace) }) { first, _ in first }
            x = block(
                x, contexts: ranges, record: { hook, value in record("blocks.\(i).\(hook)", value()) },
                splice: { hook, value in splices["blocks.\(i).\(hook)"].map { $0(value) } ?? value })
        }
        guard lastBlock == blocks.count - 1 else { return out }
        if let finalNorm {
            x = finalNorm(x)
            record("ln_final.hook_normalized", x)
        }
        if wanted.contains("logits"), let head { out.hooks["logits"] = head(x) }
        return out
    }

    /// A direction of the residual stream read by the unembedding alone, W_U·v, one value per
    /// token: which tokens a feature writing it promotes and suppresses (sae_vis's logit
    /// effect; the final norm and a masked-LM head's transform are left out, as there).
    public func logitEffect(of direction: [Float]) throws -> [Float] {
        guard let head else { throw TransformerError("model '\(name)': the checkpoint has no language-model head to unembed with") }
        guard direction.count == config.dModel else {
            throw TransformerError("model '\(name)': a direction of \(direction.count) values for a stream of \(config.dModel)")
        }
        return matmul(Matrix(rows: 1, cols: direction.count, storage: direction), head.decoder, transposeB: true).storage
    }

    /// Whether the checkpoint has an unembedding (a language-model head).
    public var hasHead: Bool { head != nil }

    /// The logits of residual-stream rows read as if they left the last block: the final norm,
    /// then the head. This is the logit lens; of the last block's `hook_resid_post` it gives the
    /// logits themselves.
    public func unembed(_ residual: Matrix<Float>) throws -> Matrix<Float> {
        guard let head else { throw TransformerError("model '\(name)': the checkpoint has no language-model head to unembed with") }
        return head(finalNorm.map { $0(residual) } ?? residual)
    }

    /// 3 for "blocks.3.hook_resid_post"; nil for hook points outside the blocks.
    static func blockIndex(_ hook: String) -> Int? {
        let parts = hook.split(separator: ".")
        guard parts.count > 2, parts[0] == "blocks" else { return nil }
        return Int(parts[1])
    }
}

extension Transformer {
    /// Contexts run together wherever a text goes through the model: enough rows for efficient
    /// products; few enough that the logits of a large vocabulary fit in memory.
    public var contextsPerRun: Int { max(1, min(8, 1 << 22 / max(config.vocabSize, 1))) }

    /// Whether `run(…, splicing:)` can replace the value at `hook`: a block's residual stream,
    /// attention output, MLP neurons or MLP output.
    public func canSplice(_ hook: String) -> Bool {
        guard let block = Self.blockIndex(hook), block < blocks.count else { return false }
        return TransformerBlock.spliceable.contains(hook.split(separator: ".", maxSplits: 2).last.map(String.init) ?? "")
    }

    /// The width of hook point `hook` taken as one row per token, for contexts of `contextLength`
    /// tokens: an attention pattern (as wide as its context) and contexts longer than the
    /// learned positions are refused.
    public func tokenRowWidth(_ hook: String, contextLength: Int) throws -> Int {
        let point = try hookPoint(hook)
        guard !point.isPattern else {
            throw TransformerError("\(hook): an attention pattern is as wide as its context, not one row per token")
        }
        if positions != nil, contextLength > config.maxPositions {
            throw TransformerError(
                "contexts of \(contextLength) tokens are longer than \(name)'s \(config.maxPositions) learned positions; give --ctx")
        }
        return point.width
    }
}
