import Foundation
import LinAlg
import Networks

/// The next-token loss of a GPT-2 and its gradient with respect to every parameter.
public enum GPT2Gradients {
    /// Each sequence of token ids predicts its own tokens 1…n from tokens 0…n−1; the loss is the
    /// mean cross-entropy (nats) over every predicted position of every sequence, as
    /// GPT2LMHeadModel's with labels = input_ids, and `gradient` is laid out as `p.values`.
    public static func compute(_ p: GPT2Parameters, sequences: [[Int]]) throws -> (loss: Double, gradient: [Float]) {
        try check(p.config, sequences)
        let trace = GPT2Trace(p, contexts: sequences.map { Array($0.dropLast()) })
        let (loss, dLogits) = crossEntropy(logits: trace.logits, labels: sequences.flatMap { $0.dropFirst() })
        return (loss, backward(p, trace, dLogits))
    }

    /// The mean next-token loss alone (no gradient), as `compute` defines it.
    public static func loss(_ p: GPT2Parameters, sequences: [[Int]]) throws -> Double {
        try check(p.config, sequences)
        let trace = GPT2Trace(p, contexts: sequences.map { Array($0.dropLast()) })
        return crossEntropy(logits: trace.logits, labels: sequences.flatMap { $0.dropFirst() }).loss
    }

    static func check(_ c: TransformerConfig, _ sequences: [[Int]]) throws {
        guard !sequences.isEmpty, sequences.allSatisfy({ $0.count >= 2 }) else {
            throw TransformerError("training: every sequence needs at least two tokens (one to read, one to predict)")
        }
        if let long = sequences.first(where: { $0.count - 1 > c.maxPositions }) {
            throw TransformerError("training: a sequence of \(long.count) tokens reads more than the \(c.maxPositions) learned positions")
        }
        if let bad = sequences.lazy.flatMap({ $0 }).first(where: { $0 < 0 || $0 >= c.vocabSize }) {
            throw TransformerError("training: token id \(bad) is outside the vocabulary of \(c.vocabSize)")
        }
    }

    /// Back-propagates dLoss/dlogits through the trace.
    static func backward(_ p: GPT2Parameters, _ t: GPT2Trace, _ dLogits: Matrix<Float>) -> [Float] {
        var g = [Float](repeating: 0, count: p.count)
        func put(_ name: String, _ values: [Float]) {
            let start = p.offset(of: name)
            g.withUnsafeMutableBufferPointer { out in
                values.withUnsafeBufferPointer { v in Float.axpy(n: v.count, alpha: 1, x: v.baseAddress!, y: out.baseAddress! + start) }
            }
        }
        let wte = p.matrix("transformer.wte.weight")
        // logits = ln_f(x)·wteᵀ: the unembedding's share of wte's gradient.
        put("transformer.wte.weight", matmul(dLogits, t.normalizedFinal, transposeA: true).storage)
        let (dx0, finalNorm) = p.layerNorm("transformer.ln_f").backward(input: t.final, gradOutput: matmul(dLogits, wte))
        put("transformer.ln_f.weight", finalNorm[0])
        put("transformer.ln_f.bias", finalNorm[1])
        var dx = dx0
        for (i, block) in t.blocks.enumerated().reversed() {
            let b = "transformer.h.\(i)."
            // MLP: out = mid + c_proj(gelu(c_fc(ln_2(mid)))).
            let dPost = conv1DBackward(p, b + "mlp.c_proj", input: block.postActivation, gradOutput: dx, put)
            let dPre = p.config.activation.backward(input: block.preActivation, gradOutput: dPost)
            let dNormalized2 = conv1DBackward(p, b + "mlp.c_fc", input: block.normalized2, gradOutput: dPre, put)
            let (dMid, norm2) = p.layerNorm(b + "ln_2").backward(input: block.mid, gradOutput: dNormalized2)
            put(b + "ln_2.weight", norm2[0])
            put(b + "ln_2.bias", norm2[1])
            dx.add(dMid)
            // Attention: mid = x + c_proj(attend(c_attn(ln_1(x)))).
            let dz = conv1DBackward(p, b + "attn.c_proj", input: block.z, gradOutput: dx, put)
            let dQKV = attendBackward(block, dz, contexts: t.contexts, heads: p.config.heads, headDim: p.config.headDim)
            let dNormalized1 = conv1DBackward(p, b + "attn.c_attn", input: block.normalized1, gradOutput: dQKV, put)
            let (dInput, norm1) = p.layerNorm(b + "ln_1").backward(input: block.input, gradOutput: dNormalized1)
            put(b + "ln_1.weight", norm1[0])
            put(b + "ln_1.bias", norm1[1])
            dx.add(dInput)
        }
        // The embeddings: each row's gradient goes to its token's and its position's row.
        let d = p.config.dModel
        let (tokenStart, positionStart) = (p.offset(of: "transformer.wte.weight"), p.offset(of: "transformer.wpe.weight"))
        g.withUnsafeMutableBufferPointer { out in
            dx.withUnsafeBufferPointer { rows in
                for r in t.ids.indices {
                    let row = rows.baseAddress! + r * d
                    Float.axpy(n: d, alpha: 1, x: row, y: out.baseAddress! + tokenStart + t.ids[r] * d)
                    Float.axpy(n: d, alpha: 1, x: row, y: out.baseAddress! + positionStart + t.positions[r] * d)
                }
            }
        }
        return g
    }

    /// y = x·W + b: puts dW = xᵀ·dy and db = Σ dy, returns dx = dy·Wᵀ.
    private static func conv1DBackward(
        _ p: GPT2Parameters, _ name: String, input x: Matrix<Float>, gradOutput dy: Matrix<Float>, _ put: (String, [Float]) -> Void
    ) -> Matrix<Float> {
        put(name + ".weight", matmul(x, dy, transposeA: true).storage)
        put(name + ".bias", dy.columnSums())
        return matmul(dy, p.matrix(name + ".weight"), transposeB: true)
    }

    /// The gradient with respect to the fused q|k|v of the attention whose output gradient is
    /// dz. Per context and head, with P the pattern and s = 1/√d_head:
    /// dV = Pᵀ·dZ, dP = dZ·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = s·dS·K, dK = s·dSᵀ·Q
    /// (masked entries have P = 0, so they pass nothing back).
    private static func attendBackward(
        _ block: GPT2Trace.Block, _ dz: Matrix<Float>, contexts: [Range<Int>], heads: Int, headDim: Int
    ) -> Matrix<Float> {
        let d = heads * headDim
        let scale = 1 / Float(headDim).squareRoot()
        var dQKV = Matrix<Float>(unsetRows: dz.rows, cols: 3 * d)
        block.qkv.withUnsafeBufferPointer { qp in
            dz.withUnsafeBufferPointer { dzp in
                dQKV.withUnsafeMutableBufferPointer { outp in
                    for (c, rows) in contexts.enumerated() {
                        let (tokens, first) = (rows.count, rows.lowerBound)
                        let qkv = qp.baseAddress! + first * 3 * d, dZ = dzp.baseAddress! + first * d
                        let out = outp.baseAddress! + first * 3 * d
                        var dScores = Matrix<Float>(unsetRows: heads * tokens, cols: tokens)
                        block.patterns[c].withUnsafeBufferPointer { pp in
                            dScores.withUnsafeMutableBufferPointer { sp in
                                let (pattern, ds) = (pp.baseAddress!, sp.baseAddress!)
                                for h in 0..<heads {
                                    let (ph, dsh) = (pattern + h * tokens * tokens, ds + h * tokens * tokens)
                                    Float.gemm(
                                        transA: true, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1, a: ph, lda: tokens,
                                        b: dZ + h * headDim, ldb: d, beta: 0, c: out + 2 * d + h * headDim, ldc: 3 * d)
                                    Float.gemm(
                                        transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: 1, a: dZ + h * headDim,
                                        lda: d, b: qkv + 2 * d + h * headDim, ldb: 3 * d, beta: 0, c: dsh, ldc: tokens)
                                }
                                // The softmax's backward, row by row on both cores (BLAS stays on this thread).
                                parallelChunks(heads * tokens) { _, chunk in
                                    for r in chunk {
                                        let (prow, drow) = (pattern + r * tokens, ds + r * tokens)
                                        let visible = r % tokens + 1
                                        var inner: Float = 0
                                        for j in 0..<visible { inner += prow[j] * drow[j] }
                                        for j in 0..<visible { drow[j] = prow[j] * (drow[j] - inner) }
                                        for j in visible..<tokens { drow[j] = 0 }
                                    }
                                }
                                for h in 0..<heads {
                                    let dsh = ds + h * tokens * tokens
                                    Float.gemm(
                                        transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: scale, a: dsh, lda: tokens,
                                        b: qkv + d + h * headDim, ldb: 3 * d, beta: 0, c: out + h * headDim, ldc: 3 * d)
                                    Float.gemm(
                                        transA: true, transB: false, m: tokens, n: headDim, k: tokens, alpha: scale, a: dsh, lda: tokens,
                                        b: qkv + h * headDim, ldb: 3 * d, beta: 0, c: out + d + h * headDim, ldc: 3 * d)
                                }
                            }
                        }
                    }
                }
            }
        }
        return dQKV
    }
}
