import LinAlg
import Networks

/// A linear or conv2d layer as the map z = W·a + b, with the two products every LRP rule is
/// built from: W′·a and W′ᵀ·s for a modified weight W′ of the same shape. Both go through one
/// gemm for the whole batch (im2col for a convolution). Sums of several products are formed
/// before a convolution's layout is converted back, so each sum costs one conversion.
struct AffineLayer<T: BLASScalar>: Sendable {
    enum Kind: Sendable {
        case dense
        case conv(Conv2d<T>)
    }

    let kind: Kind
    /// [out, in] (dense) or [out channels, in·kh·kw] (conv).
    let weight: Matrix<T>
    let bias: [T]?

    init?(_ layer: Layer<T>) {
        switch layer.operation {
        case .linear(let l): kind = .dense; weight = l.weight; bias = l.bias
        case .conv2d(let c): kind = .conv(c); weight = c.weight; bias = c.bias
        default: return nil
        }
    }

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

    func prepare(_ a: Matrix<T>) -> Input {
        switch kind {
        case .dense: return Input(samples: a.rows, rows: a)
        case .conv(let c): return Input(samples: a.rows, rows: c.im2col(a))
        }
    }

    /// Σ_k W_k·a_k + b, one row per sample in the layer's output layout; `bias` is per output
    /// unit (dense) or per channel (conv).
    func apply(_ terms: [(input: Input, weight: Matrix<T>)], bias b: [T]? = nil) -> Matrix<T> {
        let first = terms[0].input.rows
        var z = Matrix<T>(rows: first.rows, cols: weight.rows)
        for (k, term) in terms.enumerated() {
            gemm(into: &z, term.input.rows, term.weight, transposeB: true, beta: k == 0 ? 0 : 1)
        }
        if let b { z.addToEachRow(b) }
        switch kind {
        case .dense: return z
        case .conv(let c): return c.positionsToChannels(z, samples: terms[0].input.samples)
        }
    }

    /// Σ_k α_k W_kᵀ·s_k, one row per sample in the layer's input layout.
    func applyTransposed(_ terms: [(s: Matrix<T>, weight: Matrix<T>, scale: T)]) -> Matrix<T> {
        let samples = terms[0].s.rows
        switch kind {
        case .dense:
            var out = Matrix<T>(rows: samples, cols: weight.cols)
            for (k, t) in terms.enumerated() { gemm(into: &out, t.s, t.weight, alpha: t.scale, beta: k == 0 ? 0 : 1) }
            return out
        case .conv(let c):
            var patches = Matrix<T>(rows: samples * c.geometry.outPositions, cols: weight.cols)
            for (k, t) in terms.enumerated() {
                gemm(into: &patches, c.channelsToPositions(t.s), t.weight, alpha: t.scale, beta: k == 0 ? 0 : 1)
            }
            return c.col2im(patches, samples: samples)
        }
    }

    /// One sample whose every input is `value` (a rule's constant reference point: the ones of
    /// w² and flat, the box corners of zB). Padding stays zero, as in torch.
    func constantInput(_ value: T) -> Input {
        prepare(Matrix(rows: 1, cols: inputSize, repeating: value))
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

    /// The same row repeated for each of `rows` samples (a sample-independent denominator).
    func broadcastRows(_ rows: Int) -> Matrix {
        precondition(self.rows == 1, "broadcastRows: needs one row, has \(self.rows)")
        return Matrix(rows: rows, cols: cols, storage: Array([[T]](repeating: storage, count: rows).joined()))
    }

    /// Sum of each row, accumulated in Float64.
    var rowSumsDouble: [Double] {
        (0..<rows).map { r in row(r).reduce(0.0) { $0 + Double($1) } }
    }
}
