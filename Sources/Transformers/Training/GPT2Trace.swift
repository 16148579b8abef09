import Foundation
import LinAlg
import Networks

/// A GPT-2 forward pass over contexts stacked in rows that keeps what the backward pass reads:
/// each block's input, normalised inputs, fused q|k|v, attention patterns, z, mid stream, and
/// the MLP's pre- and post-activation; then the final stream, its normalisation and the logits.
struct GPT2Trace {
    struct Block {
        /// The block's input (the residual stream) and its LayerNorm ln_1.
        var input, normalized1: Matrix<Float>
        /// [rows, 3d]: q, k, v side by side, as c_attn writes them.
        var qkv: Matrix<Float>
        /// One [heads·tokens, tokens] pattern per context.
        var patterns: [Matrix<Float>]
        var z, mid, normalized2: Matrix<Float>
        /// c_fc's output (before GELU) and the GELU of it.
        var preActivation, postActivation: Matrix<Float>
    }

    let ids: [Int]
    let positions: [Int]
    /// Each context's rows.
    let contexts: [Range<Int>]
    var blocks: [Block] = []
    var final = Matrix<Float>(rows: 0, cols: 0)
    var normalizedFinal = Matrix<Float>(rows: 0, cols: 0)
    var logits = Matrix<Float>(rows: 0, cols: 0)

    /// Runs `contexts` (token ids, each within the model's positions) through `p`.
    init(_ p: GPT2Parameters, contexts tokens: [[Int]]) {
        let c = p.config
        ids = tokens.flatMap { $0 }
        positions = tokens.flatMap { Array(0..<$0.count) }
        var ranges: [Range<Int>] = []
        for t in tokens { ranges.append((ranges.last?.upperBound ?? 0)..<((ranges.last?.upperBound ?? 0) + t.count)) }
        contexts = ranges
        var x = p.matrix("transformer.wte.weight").rows(ids)
        x.add(p.matrix("transformer.wpe.weight").rows(positions))
        for i in 0..<c.layers {
            let b = "transformer.h.\(i)."
            let normalized1 = p.layerNorm(b + "ln_1").forward(x)
            let qkv = p.conv1D(b + "attn.c_attn", normalized1)
            let (z, patterns) = Self.attend(qkv, contexts: contexts, heads: c.heads, headDim: c.headDim)
            var mid = x
            mid.add(p.conv1D(b + "attn.c_proj", z))
            let normalized2 = p.layerNorm(b + "ln_2").forward(mid)
            let preActivation = p.conv1D(b + "mlp.c_fc", normalized2)
            let postActivation = c.activation.apply(preActivation)
            var out = mid
            out.add(p.conv1D(b + "mlp.c_proj", postActivation))
            blocks.append(
                Block(
                    input: x, normalized1: normalized1, qkv: qkv, patterns: patterns, z: z, mid: mid, normalized2: normalized2,
                    preActivation: preActivation, postActivation: postActivation))
            x = out
        }
        final = x
        normalizedFinal = p.layerNorm("transformer.ln_f").forward(x)
        // The unembedding is the token embedding, read transposed.
        logits = matmul(normalizedFinal, p.matrix("transformer.wte.weight"), transposeB: true)
    }

    /// Causal attention of every context and head: z [rows, d] and the patterns, scores and
    /// values read straight from the heads' columns of the fused q|k|v.
    static func attend(_ qkv: Matrix<Float>, contexts: [Range<Int>], heads: Int, headDim: Int) -> (Matrix<Float>, [Matrix<Float>]) {
        let d = heads * headDim
        let scale = 1 / Float(headDim).squareRoot()
        var z = Matrix<Float>(unsetRows: qkv.rows, cols: d)
        var patterns: [Matrix<Float>] = []
        qkv.withUnsafeBufferPointer { qp in
            z.withUnsafeMutableBufferPointer { zp in
                for rows in contexts {
                    let (tokens, first) = (rows.count, rows.lowerBound)
                    var pattern = Matrix<Float>(unsetRows: heads * tokens, cols: tokens)
                    pattern.withUnsafeMutableBufferPointer { pp in
                        let all = pp.baseAddress!, row0 = qp.baseAddress! + first * 3 * d
                        for h in 0..<heads {
                            Float.gemm(
                                transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale, a: row0 + h * headDim,
                                lda: 3 * d, b: row0 + d + h * headDim, ldb: 3 * d, beta: 0, c: all + h * tokens * tokens, ldc: tokens)
                        }
                        Attention.softmax(all, rows: heads * tokens, tokens: tokens) { 0..<($0 + 1) }
                        for h in 0..<heads {
                            Float.gemm(
                                transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1, a: all + h * tokens * tokens,
                                lda: tokens, b: row0 + 2 * d + h * headDim, ldb: 3 * d, beta: 0,
                                c: zp.baseAddress! + first * d + h * headDim, ldc: d)
                        }
                    }
                    patterns.append(pattern)
                }
            }
        }
        return (z, patterns)
    }
}

extension GPT2Parameters {
    /// The LayerNorm `name` (name.weight, name.bias).
    func layerNorm(_ name: String) -> LayerNorm<Float> {
        LayerNorm(normalizedShape: [config.dModel], eps: config.normEps, weight: vector(name + ".weight"), bias: vector(name + ".bias"))
    }

    /// x·W + b for GPT-2's Conv1D `name` (weight [in, out]).
    func conv1D(_ name: String, _ x: Matrix<Float>) -> Matrix<Float> {
        var y = matmul(x, matrix(name + ".weight"))
        y.addToEachRow(vector(name + ".bias"))
        return y
    }
}

extension GPT2Parameters {
    /// The logits [tokens, vocabulary] of contexts stacked in rows, by training's forward pass.
    public func logits(contexts: [[Int]]) throws -> Matrix<Float> {
        try GPT2Gradients.check(config, contexts.map { $0 + [0] })
        return GPT2Trace(self, contexts: contexts).logits
    }
}
