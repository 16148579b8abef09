import LinAlg
import Networks

/// The LRP rule of the bilinear layer g(a) = (L a + b_l) ⊙ (R a + b_r), which no other tool
/// has. Each output g_k is a quadratic form ãᵀ B_k ã in ã = [a, 1] (the biases enter as an
/// input fixed at 1, as in docs/methods.md's bilinear section), and input i's share of it is
///
///     share_ki = ½ a_i (L_ki r_k + R_ki l_k),   l = L a + b_l,  r = R a + b_r,
///
/// i.e. ½ a_i ∂g_k/∂a_i. The shares of all inputs and of the bias input ½(b_l r + b_r l) add up
/// to g_k exactly, so the rule
///
///     R_i = Σ_k share_ki · R_k / stabilise(d_k)
///
/// conserves relevance exactly when d = g (biases absorb their share). With biases switched
/// off, d = g − ½(b_l ⊙ r + b_r ⊙ l), the inputs' shares alone, and all of R_k reaches the
/// inputs. Two gemms per batch: R_in = ½ a ⊙ ((q ⊙ r) L + (q ⊙ l) R) with q = R / d.
struct BilinearShareRule<T: BLASScalar>: Sendable {
    let layer: Bilinear<T>
    let stabilizer: T
    let biasAbsorbsRelevance: Bool

    func relevance(input a: Matrix<T>, upper r: Matrix<T>) -> Matrix<T> {
        let (left, right) = layer.halves(a)
        var denominator = left.hadamard(right)
        if !biasAbsorbsRelevance {
            for (bias, other) in [(layer.leftBias, right), (layer.rightBias, left)] {
                guard let bias else { continue }
                var share = other
                share.scaleColumns(bias)
                denominator.add(share, scaledBy: -0.5)
            }
        }
        let q = r.stabilisedQuotient(denominator, stabilizer: stabilizer)
        var sum = matmul(q.hadamard(right), layer.left)
        gemm(into: &sum, q.hadamard(left), layer.right, beta: 1)
        return 0.5 * a.hadamard(sum)
    }
}
