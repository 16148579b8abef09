import LinAlg
import Networks

/// A linear or conv2d layer as the map z = W·a + b, with the two products every LRP rule is
/// built from: W′·a and W′ᵀ·s for a modified weight W′ of the same shape. Both go through one
/// gemm for the whole batch (im2col for a convolution), and both stay in the *product layout*:
/// a row per sample for a dense layer, a row per (sample, output position) with a column per
/// channel for a convolution, the layout its gemm reads and writes. A rule converts the upper
/// relevance into it once, forms every quotient there, and only the last product (col2im)
/// returns to the layer's input layout; the forward pass leaves its im2col patches and its z
/// in that layout for the rules to reuse.
///
/// A convolution on small images runs as the dense matrix it is (`Conv2d.unrolled`): its
/// products then do up to `unrollingCost` times the multiply-adds, all in one gemm, where the
/// im2col gather, col2im scatter and layout changes around a convolution's own gemm cost more
/// than a hundred multiply-adds per patch element on 8×8 images.
struct AffineLayer<T: BLASScalar>: Sendable {
    enum Kind: Sendable {
        case dense
        case conv(Conv2d<T>)
    }

    /// How products are formed: an unrolled convolution is `.dense`.
    let kind: Kind
    /// The layer's weight and bias as its rules modify them: [out, in] and per output (dense),
    /// [out channels, in·kh·kw] and per channel (conv, unrolled or not).
    let layerWeight: Matrix<T>
    let layerBias: [T]?
    /// The same in the form products use (`operand`): unrolled for an unrolled convolution.
    let weight: Matrix<T>
    let bias: [T]?
    /// The convolution whose kernels `operand` unrolls.
    private let unrolling: Conv2d<T>?

    /// The most multiply-adds an unrolled convolution may do per multiply-add of the
    /// convolution itself (its H·W over kh·kw), and the most entries its dense matrix may have.
    static var unrollingCost: Int { 16 }
    static var unrollingEntries: Int { 1 << 22 }

    init?(_ layer: Layer<T>, convolutions: LRPConvolutionProducts) {
        switch layer.operation {
        case .linear(let l):
            (kind, layerWeight, layerBias, unrolling) = (.dense, l.weight, l.bias, nil)
        case .conv2d(let c):
            let g = c.geometry
            let unroll =
                convolutions == .fastest
                && g.height * g.width <= Self.unrollingCost * g.kernel.h * g.kernel.w
                && g.inputSize <= Self.unrollingEntries / max(c.outputSize, 1)
            (kind, layerWeight, layerBias, unrolling) = (unroll ? .dense : .conv(c), c.weight, c.bias, unroll ? c : nil)
        default:
            return nil
        }
        let conv = unrolling
        weight = conv?.unrolled(layerWeight) ?? layerWeight
        bias = layerBias.map { conv?.perOutputElement($0) ?? $0 }
    }

    /// A weight of the layer's shape in the form products use.
    func operand(_ w: Matrix<T>) -> Matrix<T> { unrolling?.unrolled(w) ?? w }

    /// A bias of the layer's shape in the form products use.
    func operand(bias b: [T]?) -> [T]? { b.map { unrolling?.perOutputElement($0) ?? $0 } }

    var inputSize: Int {
        switch kind {
        case .dense: return weight.cols
        case .conv(let c): return c.geometry.inputSize
        }
    }

    /// An input prepared once for several products: itself, or its im2col patches.
    struct Input {
        let samples: Int
        let rows: Matrix<T>
    }

    /// What the forward pass leaves for the relevance pass: the prepared input and
    /// z = W·a + b in the product layout.
    struct Forward {
        let input: Input
        let z: Matrix<T>
    }

    func prepare(_ a: Matrix<T>) -> Input {
        switch kind {
        case .dense: return Input(samples: a.rows, rows: a)
        case .conv(let c): return Input(samples: a.rows, rows: c.im2col(a))
        }
    }

    /// The layer's output for `a`, with what the relevance pass reuses. An unrolled convolution
    /// sums the same products in another order than `Conv2d.forward`, so its output (and the
    /// scores an explanation starts from) equal the network's to rounding.
    func forward(_ a: Matrix<T>) -> (output: Matrix<T>, kept: Forward) {
        let input = prepare(a)
        let z = product([(input, weight)], bias: bias)
        return (outputLayout(z, samples: a.rows), Forward(input: input, z: z))
    }

    /// Output-shaped values, one row per sample, in the product layout.
    func productLayout(_ y: Matrix<T>) -> Matrix<T> {
        switch kind {
        case .dense: return y
        case .conv(let c): return c.channelsToPositions(y)
        }
    }

    /// The inverse of `productLayout`.
    private func outputLayout(_ z: Matrix<T>, samples: Int) -> Matrix<T> {
        switch kind {
        case .dense: return z
        case .conv(let c): return c.positionsToChannels(z, samples: samples)
        }
    }

    /// Σ_k W_k·a_k + b in the product layout; `bias` is per output unit (dense) or per channel
    /// (conv).
    func product(_ terms: [(input: Input, weight: Matrix<T>)], bias b: [T]? = nil) -> Matrix<T> {
        var z = Matrix<T>(rows: terms[0].input.rows.rows, cols: weight.rows)
        for (k, term) in terms.enumerated() {
            gemm(into: &z, term.input.rows, term.weight, transposeB: true, beta: k == 0 ? 0 : 1)
        }
        if let b { z.addToEachRow(b) }
        return z
    }

    /// Σ_k α_k W_kᵀ·s_k for s_k in the product layout, one row per sample in the layer's input
    /// layout.
    func transposedProduct(_ terms: [(s: Matrix<T>, weight: Matrix<T>, scale: T)], samples: Int) -> Matrix<T> {
        var out = Matrix<T>(rows: terms[0].s.rows, cols: weight.cols)
        for (k, t) in terms.enumerated() { gemm(into: &out, t.s, t.weight, alpha: t.scale, beta: k == 0 ? 0 : 1) }
        switch kind {
        case .dense: return out
        case .conv(let c): return c.col2im(out, samples: samples)
        }
    }

    /// W′·c + b′ for one sample whose every input is `value` (a rule's constant reference
    /// point: the ones of w² and flat, the box corners of zB), in the product layout (that one
    /// sample's rows). Padding stays zero, as in torch.
    func constantProduct(_ value: T, weight w: Matrix<T>, bias b: [T]? = nil) -> Matrix<T> {
        product([(prepare(Matrix(rows: 1, cols: inputSize, repeating: value)), w)], bias: b)
    }
}

// MARK: Elementwise pieces of the rules

extension Matrix {
    /// max(x, 0) elementwise.
    var positivePart: Matrix { map { $0 > 0 ? $0 : 0 } }
    /// min(x, 0) elementwise.
    var negativePart: Matrix { map { $0 < 0 ? $0 : 0 } }
    var hasNegative: Bool { storage.contains { $0 < 0 } }

    /// R / (z + s·sign(z)) with sign(0) = +1, as Zennit stabilises; where the stabilised
    /// denominator is exactly zero (s = 0 and z = 0) the quotient is 0 rather than NaN.
    func stabilisedQuotient(_ z: Matrix, stabilizer s: T) -> Matrix {
        zipMap(z, "stabilisedQuotient") { r, z in
            let d = z + (z >= 0 ? s : -s)
            return d == 0 ? 0 : r / d
        }
    }

    /// Sum of each row, accumulated in Float64 (in four interleaved sums, so that the additions
    /// do not wait on each other).
    var rowSumsDouble: [Double] {
        withUnsafeBufferPointer { p in
            (0..<rows).map { r in
                var sums = (0.0, 0.0, 0.0, 0.0)
                var i = r * cols
                let end = i + cols
                while i + 4 <= end {
                    sums.0 += Double(p[i])
                    sums.1 += Double(p[i + 1])
                    sums.2 += Double(p[i + 2])
                    sums.3 += Double(p[i + 3])
                    i += 4
                }
                while i < end {
                    sums.0 += Double(p[i])
                    i += 1
                }
                return (sums.0 + sums.1) + (sums.2 + sums.3)
            }
        }
    }
}
