import LinAlg
import Networks

/// The feed-forward half of a block.
enum FeedForward: Sendable {
    /// down(act(up(x))): GPT-2, BERT.
    case plain(up: Dense, activation: Activation, down: Dense)
    /// down(act(gate(x)) ⊙ up(x)): Llama's SwiGLU.
    case gated(gate: Dense, up: Dense, activation: Activation, down: Dense)

    /// The output; `record` receives mlp.hook_post, the activation the down projection reads.
    func callAsFunction(_ x: Matrix<Float>, record: (String, @autoclosure () -> Matrix<Float>) -> Void) -> Matrix<Float> {
        let post: Matrix<Float>
        switch self {
        case .plain(let up, let activation, _): post = activation.apply(up(x))
        case .gated(let gate, let up, let activation, _): post = activation.apply(gate(x)).hadamard(up(x))
        }
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

    func callAsFunction(
        _ x: Matrix<Float>, contexts: [Range<Int>], record: (String, @autoclosure () -> Matrix<Float>) -> Void
    ) -> Matrix<Float> {
        record("hook_resid_pre", x)
        let attended = attention(postNorm ? x : norm1(x), contexts: contexts, record: record)
        record("hook_attn_out", attended)
        var mid = x + attended
        if postNorm { mid = norm1(mid) }
        record("hook_resid_mid", mid)
        let fed = feedForward(postNorm ? mid : norm2(mid), record: record)
        record("hook_mlp_out", fed)
        var post = mid + fed
        if postNorm { post = norm2(post) }
        record("hook_resid_post", post)
        return post
    }
}
