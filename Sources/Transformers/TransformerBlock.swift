import LinAlg
import Networks

/// The feed-forward half of a block.
enum FeedForward: Sendable {
    /// down(act(up(x))): GPT-2, BERT.
    case plain(up: Dense, activation: Activation, down: Dense)
    /// down(act(gate(x)) ⊙ up(x)): Llama's SwiGLU.
    case gated(gate: Dense, up: Dense, activation: Activation, down: Dense)

    /// The output; `record` receives mlp.hook_post, the activation the down projection reads,
    /// after `splice` has had its say on it.
    func callAsFunction(
        _ x: Matrix<Float>, record: (String, @autoclosure () -> Matrix<Float>) -> Void, splice: TransformerBlock.Splice
    ) -> Matrix<Float> {
        var post: Matrix<Float>
        switch self {
        case .plain(let up, let activation, _): post = activation.apply(up(x))
        case .gated(let gate, let up, let activation, _): post = activation.apply(gate(x)).hadamard(up(x))
        }
        post = splice("mlp.hook_post", post)
        record("mlp.hook_post", post)
        switch self {
        case .plain(_, _, let down), .gated(_, _, _, let down): return down(post)
        }
    }
}

/// One transformer block. Pre-norm (GPT-2, Llama): the residual stream is summed into, and
/// each half reads a normalised copy of it. Post-norm (BERT): each half reads the stream and
/// the sum is normalised, so the stream between blocks is a normalised one.
struct TransformerBlock: Sendable {
    let attention: Attention
    let feedForward: FeedForward
    /// Before attention and before the MLP (pre-norm); after each sum (post-norm).
    let norm1, norm2: TokenNorm
    let postNorm: Bool

    /// What replaces the value at a hook point (by its name inside the block), as a TransformerLens
    /// hook function does; the forward pass goes on with what it returns.
    typealias Splice = (String, Matrix<Float>) -> Matrix<Float>

    /// The hook points a splice may replace: those whose value the rest of the pass reads as it
    /// is (not q, k, v, z or the pattern, which live inside attention).
    static let spliceable: Set<String> = [
        "hook_resid_pre", "hook_attn_out", "hook_resid_mid", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"
    ]

    func callAsFunction(
        _ input: Matrix<Float>, contexts: [Range<Int>], record: (String, @autoclosure () -> Matrix<Float>) -> Void,
        splice: Splice
    ) -> Matrix<Float> {
        let x = splice("hook_resid_pre", input)
        record("hook_resid_pre", x)
        let attended = splice("hook_attn_out", attention(postNorm ? x : norm1(x), contexts: contexts, record: record))
        record("hook_attn_out", attended)
        var mid = x + attended
        if postNorm { mid = norm1(mid) }
        mid = splice("hook_resid_mid", mid)
        record("hook_resid_mid", mid)
        let fed = splice("hook_mlp_out", feedForward(postNorm ? mid : norm2(mid), record: record, splice: splice))
        record("hook_mlp_out", fed)
        var post = mid + fed
        if postNorm { post = norm2(post) }
        post = splice("hook_resid_post", post)
        record("hook_resid_post", post)
        return post
    }
}
