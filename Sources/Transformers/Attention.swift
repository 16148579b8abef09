import Foundation
import LinAlg

/// Multi-head self-attention over one context of tokens (rows): the queries of each head
/// against the keys of its key/value head (grouped-query attention shares one among
/// heads / kvHeads query heads), softmax(q·kᵀ/√d_head) with the mask, times the values; the
/// heads side by side through the output projection.
struct Attention: Sendable {
    let q, k, v, o: Dense
    let heads, kvHeads, headDim: Int
    /// Rotary positions (Llama): each head's pairs (i, i + d/2) rotated by t·θ^(−2i/d).
    let ropeTheta: Double?
    let causal: Bool
    let slidingWindow: Int?

    /// The attention output; `record` receives q, k, v (before rotary), z and the pattern.
    func callAsFunction(_ x: Matrix<Float>, record: (String, @autoclosure () -> Matrix<Float>) -> Void) -> Matrix<Float> {
        let tokens = x.rows
        var queries = q(x), keys = k(x)
        let values = v(x)
        record("attn.hook_q", queries)
        record("attn.hook_k", keys)
        record("attn.hook_v", values)
        if let ropeTheta {
            rotate(&queries, heads: heads, theta: ropeTheta)
            rotate(&keys, heads: kvHeads, theta: ropeTheta)
        }
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        var z = Matrix<Float>(rows: tokens, cols: heads * headDim)
        var pattern = Matrix<Float>(unsetRows: heads * tokens, cols: tokens)
        queries.withUnsafeBufferPointer { qp in
            keys.withUnsafeBufferPointer { kp in
                values.withUnsafeBufferPointer { vp in
                    z.withUnsafeMutableBufferPointer { zp in
                        pattern.withUnsafeMutableBufferPointer { pp in
                            for h in 0..<heads {
                                let kv = h / group
                                let scores = pp.baseAddress! + h * tokens * tokens
                                // scores = q_h·k_hᵀ/√d straight from the heads' columns.
                                Float.gemm(
                                    transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                                    a: qp.baseAddress! + h * headDim, lda: heads * headDim,
                                    b: kp.baseAddress! + kv * headDim, ldb: kvHeads * headDim,
                                    beta: 0, c: scores, ldc: tokens)
                                for i in 0..<tokens { softmaxRow(scores + i * tokens, query: i, count: tokens) }
                                Float.gemm(
                                    transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1,
                                    a: scores, lda: tokens, b: vp.baseAddress! + kv * headDim, ldb: kvHeads * headDim,
                                    beta: 0, c: zp.baseAddress! + h * headDim, ldc: heads * headDim)
                            }
                        }
                    }
                }
            }
        }
        record("attn.hook_pattern", pattern)
        record("attn.hook_z", z)
        return o(z)
    }

    /// Which keys query i sees: all (BERT), those up to i, or the last `slidingWindow` of them.
    func visible(_ i: Int, _ count: Int) -> Range<Int> {
        guard causal else { return 0..<count }
        let first = slidingWindow.map { max(0, i - $0 + 1) } ?? 0
        return first..<(i + 1)
    }

    /// Softmax over the visible keys of one query's scores, zero elsewhere.
    private func softmaxRow(_ row: UnsafeMutablePointer<Float>, query i: Int, count: Int) {
        let keep = visible(i, count)
        var top = -Float.infinity
        for j in keep { top = max(top, row[j]) }
        var sum: Float = 0
        for j in keep {
            row[j] = expf(row[j] - top)
            sum += row[j]
        }
        for j in 0..<count { row[j] = keep.contains(j) ? row[j] / sum : 0 }
    }

    /// Rotates each head's pairs (i, i + d/2) of token t by the angle t·θ^(−2i/d), as
    /// transformers' rotate_half arranges them.
    private func rotate(_ m: inout Matrix<Float>, heads: Int, theta: Double) {
        let (half, width, tokens) = (headDim / 2, m.cols, m.rows)
        let frequencies = (0..<half).map { pow(theta, -2 * Double($0) / Double(headDim)) }
        m.withUnsafeMutableBufferPointer { p in
            for t in 0..<tokens {
                let angles = frequencies.map { Double(t) * $0 }
                let cosines = angles.map { Float(cos($0)) }, sines = angles.map { Float(sin($0)) }
                for h in 0..<heads {
                    let head = p.baseAddress! + t * width + h * headDim
                    for i in 0..<half {
                        let (a, b) = (head[i], head[i + half])
                        head[i] = a * cosines[i] - b * sines[i]
                        head[i + half] = b * cosines[i] + a * sines[i]
                    }
                }
            }
        }
    }
}
