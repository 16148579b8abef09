import Foundation
import LinAlg

/// Multi-head self-attention over one context of tokens (rows): the queries of each head
/// against the keys of its key/value head (grouped-query attention shares one among
/// heads / kvHeads query heads), softmax(q·kᵀ/√d_head) with the mask, times the values; the
/// heads side by side through the output projection.
struct Attention: Sendable {
    let q, k, v, o: Dense
    let heads, kvHeads, headDim: Int
    /// Rotary positions (Llama).
    let rotary: RotaryPositions?
    let causal: Bool
    let slidingWindow: Int?

    /// The attention output for contexts stacked in rows (`contexts` their row ranges): every
    /// projection is one product over all of them, each context attends only within itself.
    /// `record` receives q, k, v (before rotary), z, and a single context's pattern.
    func callAsFunction(
        _ x: Matrix<Float>, contexts: [Range<Int>], record: (String, @autoclosure () -> Matrix<Float>) -> Void
    ) -> Matrix<Float> {
        var queries = q(x), keys = k(x)
        let values = v(x)
        record("attn.hook_q", queries)
        record("attn.hook_k", keys)
        record("attn.hook_v", values)
        if let rotary {
            let frequencies = rotary.frequencies(headDim)
            rotate(&queries, heads: heads, contexts: contexts, frequencies: frequencies)
            rotate(&keys, heads: kvHeads, contexts: contexts, frequencies: frequencies)
        }
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let (width, kvWidth) = (heads * headDim, kvHeads * headDim)
        var z = Matrix<Float>(rows: x.rows, cols: width)
        let longest = contexts.map(\.count).max() ?? 0
        var pattern = Matrix<Float>(unsetRows: heads * longest, cols: longest)
        queries.withUnsafeBufferPointer { qp in
            keys.withUnsafeBufferPointer { kp in
                values.withUnsafeBufferPointer { vp in
                    z.withUnsafeMutableBufferPointer { zp in
                        pattern.withUnsafeMutableBufferPointer { pp in
                            for rows in contexts {
                                let (tokens, first) = (rows.count, rows.lowerBound)
                                let all = pp.baseAddress!
                                for h in 0..<heads {
                                    // scores = q_h·k_hᵀ/√d straight from the heads' columns.
                                    Float.gemm(
                                        transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                                        a: qp.baseAddress! + first * width + h * headDim, lda: width,
                                        b: kp.baseAddress! + first * kvWidth + (h / group) * headDim, ldb: kvWidth,
                                        beta: 0, c: all + h * tokens * tokens, ldc: tokens)
                                }
                                Self.softmax(all, rows: heads * tokens, tokens: tokens) { visible($0, tokens) }
                                for h in 0..<heads {
                                    let kv = h / group
                                    let scores = all + h * tokens * tokens
                                    Float.gemm(
                                        transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1,
                                        a: scores, lda: tokens, b: vp.baseAddress! + first * kvWidth + kv * headDim, ldb: kvWidth,
                                        beta: 0, c: zp.baseAddress! + first * width + h * headDim, ldc: width)
                                }
                            }
                        }
                    }
                }
            }
        }
        // The pattern buffer holds the last context's: it is recorded only for one context.
        if contexts.count == 1 { record("attn.hook_pattern", pattern) }
        record("attn.hook_z", z)
        return o(z)
    }

    /// Which keys query i sees: all (BERT), those up to i, or the last `slidingWindow` of them.
    func visible(_ i: Int, _ count: Int) -> Range<Int> {
        guard causal else { return 0..<count }
        let first = slidingWindow.map { max(0, i - $0 + 1) } ?? 0
        return first..<(i + 1)
    }

    /// Softmax over the keys each query sees, zero elsewhere, in place: `scores` holds `rows`
    /// rows of `tokens` scores, head after head (row r is query r % tokens). Every head's rows
    /// at once, on both cores (BLAS stays on the calling thread). Training's forward pass shares it.
    static func softmax(_ scores: UnsafeMutablePointer<Float>, rows: Int, tokens: Int, visible: (Int) -> Range<Int>) {
        parallelChunks(rows) { _, chunk in
            for r in chunk {
                let (row, keep) = (scores + r * tokens, visible(r % tokens))
                var top = -Float.infinity
                for j in keep { top = max(top, row[j]) }
                var sum: Float = 0
                for j in keep {
                    row[j] = expf(row[j] - top)
                    sum += row[j]
                }
                for j in 0..<tokens { row[j] = keep.contains(j) ? row[j] / sum : 0 }
            }
        }
    }

    /// Rotates each head's pairs (i, i + d/2) of the token at position t by the angle t·ωᵢ, as
    /// transformers' rotate_half arranges them.
    private func rotate(_ m: inout Matrix<Float>, heads: Int, contexts: [Range<Int>], frequencies: [Float]) {
        let (half, width) = (headDim / 2, m.cols)
        // Row r of a context starting at row s is position r − s.
        let positions = contexts.flatMap { rows in rows.map { $0 - rows.lowerBound } }
        m.withUnsafeMutableBufferPointer { p in
            for (t, position) in positions.enumerated() {
                let angles = frequencies.map { Float(position) * $0 }
                let cosines = angles.map { Foundation.cos($0) }, sines = angles.map { Foundation.sin($0) }
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
