import LinAlg

/// A named activation inside a transformer, as TransformerLens names it, so that SAELens SAEs'
/// `hook_name` and users' notebooks carry over. Each is one row per token of a context.
public struct HookPoint: Sendable, Equatable {
    public let name: String
    /// Values per token; for attn.hook_pattern, per head and query: the context's length.
    public let width: Int
    /// attn.hook_pattern: rows are (head, query) pairs, one column per key.
    public let isPattern: Bool
    /// What it is, for `inspect` and the workbench.
    public let about: String
}

extension Transformer {
    /// Every hook point, in the order the forward pass reaches them.
    public var hookPoints: [HookPoint] {
        let c = config
        let (d, width, kvWidth) = (c.dModel, c.heads * c.headDim, c.kvHeads * c.headDim)
        var points = [HookPoint(name: "hook_embed", width: d, isPattern: false, about: "token embeddings")]
        if positions != nil {
            points.append(HookPoint(name: "hook_pos_embed", width: d, isPattern: false, about: "learned position embeddings"))
        }
        if tokenType != nil {
            points.append(HookPoint(name: "hook_token_type_embed", width: d, isPattern: false, about: "token-type embedding (type 0)"))
        }
        let stream = c.family == .bert ? "the stream after the LayerNorm that follows the sum" : "the residual stream"
        for i in 0..<c.layers {
            let b = "blocks.\(i)."
            points += [
                HookPoint(name: b + "hook_resid_pre", width: d, isPattern: false, about: "the residual stream into the block"),
                HookPoint(
                    name: b + "attn.hook_q", width: width, isPattern: false,
                    about: "queries, heads side by side" + (c.family == .llama ? ", before rotary" : "")),
                HookPoint(
                    name: b + "attn.hook_k", width: kvWidth, isPattern: false,
                    about: "keys" + (c.kvHeads < c.heads ? " (\(c.kvHeads) key/value heads)" : "")),
                HookPoint(name: b + "attn.hook_v", width: kvWidth, isPattern: false, about: "values"),
                HookPoint(
                    name: b + "attn.hook_pattern", width: 0, isPattern: true, about: "attention weights [heads·queries, keys] per context"),
                HookPoint(
                    name: b + "attn.hook_z", width: width, isPattern: false,
                    about: "the heads' weighted values, before the output projection"),
                HookPoint(name: b + "hook_attn_out", width: d, isPattern: false, about: "the attention output"),
                HookPoint(name: b + "hook_resid_mid", width: d, isPattern: false, about: "\(stream) after attention"),
                HookPoint(name: b + "mlp.hook_post", width: c.dMLP, isPattern: false, about: "MLP neurons after the activation"),
                HookPoint(name: b + "hook_mlp_out", width: d, isPattern: false, about: "the MLP output"),
                HookPoint(name: b + "hook_resid_post", width: d, isPattern: false, about: "\(stream) out of the block")
            ]
        }
        if finalNorm != nil {
            points.append(HookPoint(name: "ln_final.hook_normalized", width: d, isPattern: false, about: "the final norm's output"))
        }
        if head != nil { points.append(HookPoint(name: "logits", width: c.vocabSize, isPattern: false, about: "the unembedding's output")) }
        return points
    }

    /// The hook point called `name`, or an error listing the near ones.
    public func hookPoint(_ name: String) throws -> HookPoint {
        if let p = hookPoints.first(where: { $0.name == name }) { return p }
        let suffix = name.split(separator: ".").last.map(String.init) ?? name
        let near = hookPoints.filter { $0.name.hasSuffix(suffix) }.prefix(4).map(\.name)
        throw TransformerError(
            "model '\(self.name)' has no hook point '\(name)'"
                + (near.isEmpty ? "; `loupe inspect` lists them" : "; e.g. \(near.joined(separator: ", "))"))
    }
}

/// A replacement of the value at a hook point during a forward pass (an SAE's reconstruction,
/// zeros, a mean, a steering vector added), as a TransformerLens hook function: `replace` gets
/// the value [tokens, width] of every context run and returns what the pass goes on with.
public struct HookSplice {
    public let hook: String
    public let replace: (Matrix<Float>) -> Matrix<Float>

    public init(_ hook: String, _ replace: @escaping (Matrix<Float>) -> Matrix<Float>) {
        self.hook = hook
        self.replace = replace
    }
}
