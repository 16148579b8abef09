import Foundation
import LinAlg

/// The loss terms of one minibatch (docs/methods.md; SAELens's definitions): MSE is the mean over
/// samples of ‖x − x̂‖²; the sparsity term is λ·mean Σ_j f_j‖W_dec,j‖ (standard),
/// λ·mean Σ_j ReLU(π_gate)_j‖W_dec,j‖ (gated) or λ·mean L0 (JumpReLU); the auxiliary term is the
/// auxiliary-k loss (top-k family) or the reconstruction from ReLU(π_gate) (gated).
public struct SAEBatchLoss: Codable, Sendable, Equatable {
    public var total: Double
    public var mse: Double
    public var sparsity: Double
    public var auxiliary: Double
    /// Mean number of active latents per sample.
    public var l0: Double
    /// Σ‖x − x̂‖² / Σ‖x − x̄‖² over the batch (x̄ its mean).
    public var fvu: Double
}

/// The settings of the loss that are not parameters of the SAE.
public struct SAELossSettings: Sendable {
    /// λ of the L1 penalty (standard, gated) or of the L0 penalty (JumpReLU).
    public var sparsityCoefficient: Double
    /// Width ε of the rectangle kernel in JumpReLU's straight-through estimator.
    public var bandwidth: Double
    /// Latents that take part in the auxiliary-k loss (top-k family): the dead ones.
    public var deadLatents: [Int]
    /// α of the auxiliary-k loss.
    public var auxKCoefficient: Double
    /// How many dead latents reconstruct the error, per sample (d_in / 2 by default, as SAELens).
    public var auxK: Int?

    public init(
        sparsityCoefficient: Double = 0, bandwidth: Double = 0.05, deadLatents: [Int] = [],
        auxKCoefficient: Double = 1.0 / 32, auxK: Int? = nil
    ) {
        self.sparsityCoefficient = sparsityCoefficient
        self.bandwidth = bandwidth
        self.deadLatents = deadLatents
        self.auxKCoefficient = auxKCoefficient
        self.auxK = auxK
    }
}

/// dL/dθ for every trainable tensor, in the layout of `SparseAutoencoder`.
public struct SAEGradient<T: BLASScalar>: Sendable {
    /// dL/d(W_encᵀ) [d_sae, d_in] (0 rows for matching pursuit).
    public var encoder: Matrix<T>
    public var encoderBias: [T]
    public var decoder: Matrix<T>
    public var decoderBias: [T]
    /// dL/d(log θ) for JumpReLU, whose threshold is trained through its logarithm; empty otherwise.
    public var logThreshold: [T]
    /// dL/dr_mag and dL/db_mag for gated (`encoderBias` is then dL/db_gate); empty otherwise.
    public var magnitudeLogScale: [T] = []
    public var magnitudeBias: [T] = []
}

/// One minibatch's loss, gradient, and what the trainer tracks besides.
public struct SAEStep<T: BLASScalar>: Sendable {
    public var loss: SAEBatchLoss
    public var gradient: SAEGradient<T>
    /// How many samples of the batch each latent was active on (dead-latent tracking).
    public var firingCounts: [Int]
    /// Batch top-k: the smallest activation that was kept, from which the inference threshold
    /// is estimated.
    public var smallestKept: T?
}

extension SparseAutoencoder {
    /// The training loss of a minibatch and its exact gradient (with the straight-through
    /// estimator for JumpReLU's threshold, and through matching pursuit's coefficients and
    /// residuals but not its argmax). Batch top-k selects over the whole batch, as in training.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func lossAndGradient(_ x: Matrix<T>, settings: SAELossSettings) -> SAEStep<T> {
        precondition(
            x.cols == inputSize && x.rows > 0, "SparseAutoencoder.lossAndGradient: batch \(x.shapeDescription) for d_in \(inputSize)")
        var step: SAEStep<T>
        switch architecture {
        case .standard, .jumprelu: step = denseStep(x, settings)
        case .topk, .batchtopk: step = sparseStep(x, settings)
        case .gated: step = gatedStep(x, settings)
        case .matchingPursuit: step = matchingPursuitStep(x)
        }
        step.loss.total = step.loss.mse + step.loss.sparsity + step.loss.auxiliary
        return step
    }

    // MARK: Standard and JumpReLU: dense codes, five matrix products

    private func denseStep(_ x: Matrix<T>, _ settings: SAELossSettings) -> SAEStep<T> {
        let (n, m) = (x.rows, latentCount)
        let input = encoderInput(x)
        let isJump = architecture == .jumprelu
        // f = ReLU(pre), or pre·H(pre − θ) for JumpReLU (a ReLU with threshold max(θ, 0)),
        // made in place; JumpReLU keeps a copy of pre for its estimator.
        var f = preActivations(ofEncoderInput: input)
        let pre = isJump ? f : Matrix<T>(rows: 0, cols: 0)
        let cut = isJump ? threshold.map { max($0, 0) } : [T](repeating: 0, count: m)
        let firing = Self.applyThreshold(&f, cut)
        let active = firing.reduce(0, +)
        let reconstruction = decode(dense: f)
        var (loss, gradOut) = reconstructionLoss(x, reconstruction)
        loss.l0 = Double(active) / Double(n)
        var gDecoder = matmul(f, gradOut, transposeA: true)
        var gCodes = matmul(gradOut, decoder, transposeB: true)
        var gLogThreshold: [T] = []
        var penalty = [T](repeating: 0, count: m)
        let lambda = T(settings.sparsityCoefficient)
        let invN = 1 / T(n)
        if isJump {
            // Straight-through estimator (Rajamanoharan et al. 2024, as SAELens): with
            // K(u) = 1{|u| < ½}, ∂f/∂θ ≈ −(θ/ε) K((pre − θ)/ε) and ∂H/∂θ ≈ −(1/ε) K((pre − θ)/ε).
            let eps = T(settings.bandwidth)
            var gTheta = [T](repeating: 0, count: m)
            pre.withUnsafeBufferPointer { pp in
                gCodes.withUnsafeBufferPointer { gp in
                    for b in 0..<n {
                        for j in 0..<m {
                            let u = (pp[b * m + j] - threshold[j]) / eps
                            guard u > -0.5 && u < 0.5 else { continue }
                            gTheta[j] -= (threshold[j] * gp[b * m + j] + lambda * invN) / eps
                        }
                    }
                }
            }
            gLogThreshold = (0..<m).map { gTheta[$0] * threshold[$0] }
            loss.sparsity = settings.sparsityCoefficient * loss.l0
        } else {
            (loss.sparsity, penalty) = decoderNormPenalty(on: f, settings.sparsityCoefficient, decoderGradient: &gDecoder)
        }
        // Through the activation: only where the latent is active (ReLU, or JumpReLU with no
        // straight-through estimate for the pre-activation itself). In place: ∂L/∂f becomes ∂L/∂pre.
        Self.maskGradient(&gCodes, codes: f, adding: penalty)
        let gPre = gCodes
        let gEncoder = matmul(gPre, input, transposeA: true)
        let gEncoderBias = gPre.columnSums()
        let gradient = SAEGradient(
            encoder: gEncoder, encoderBias: gEncoderBias, decoder: gDecoder,
            decoderBias: decoderBiasGradient(gradOut.columnSums(), throughEncoder: gEncoderBias),
            logThreshold: gLogThreshold)
        return SAEStep(loss: loss, gradient: gradient, firingCounts: firing, smallestKept: nil)
    }

    /// f ← f where f > cut_j, else 0, row by row in parallel; returns each latent's firings.
    /// Branch-free with 32-bit counts and a typed zero, so that the loop vectorises.
    static func applyThreshold(_ f: inout Matrix<T>, _ cut: [T]) -> [Int] {
        let (n, m) = (f.rows, f.cols)
        var counts = [Int32](repeating: 0, count: parallelChunkCount(n) * m)
        f.withUnsafeMutableBufferPointer { fp in
            counts.withUnsafeMutableBufferPointer { cp in
                cut.withUnsafeBufferPointer { tp in
                    let (fBase, cBase, tBase) = (fp.baseAddress!, cp.baseAddress!, tp.baseAddress!)
                    let zero: T = 0
                    parallelChunks(n) { chunk, rows in
                        let mine = cBase + chunk * m
                        for b in rows {
                            let row = fBase + b * m
                            for j in 0..<m {
                                let v = row[j]
                                let on = v > tBase[j]
                                row[j] = on ? v : zero
                                mine[j] = mine[j] &+ (on ? 1 : 0)
                            }
                        }
                    }
                }
            }
        }
        return (0..<m).map { j in stride(from: j, to: counts.count, by: m).reduce(0) { $0 + Int(counts[$1]) } }
    }

    /// g ← g + penalty_j where the code is active, 0 where it is not (codes are never negative).
    static func maskGradient(_ g: inout Matrix<T>, codes f: Matrix<T>, adding penalty: [T]) {
        let (n, m) = (g.rows, g.cols)
        g.withUnsafeMutableBufferPointer { gp in
            f.withUnsafeBufferPointer { fp in
                penalty.withUnsafeBufferPointer { pp in
                    let (gBase, fBase, pBase) = (gp.baseAddress!, fp.baseAddress!, pp.baseAddress!)
                    parallelChunks(n) { _, rows in
                        for b in rows { maskRow(gBase + b * m, fBase + b * m, pBase, m) }
                    }
                }
            }
        }
    }

    /// One row of `maskGradient`. Written so that it vectorises: the loads come before the
    /// select, and the zero is a constant of type T rather than a literal inside the loop.
    @inline(__always)
    static func maskRow(_ g: UnsafeMutablePointer<T>, _ f: UnsafePointer<T>, _ penalty: UnsafePointer<T>, _ m: Int) {
        let zero: T = 0
        for j in 0..<m {
            let v = g[j] + penalty[j]
            g[j] = f[j] > zero ? v : zero
        }
    }

    // MARK: Top-k and batch top-k: sparse codes, only the active rows

    private func sparseStep(_ x: Matrix<T>, _ settings: SAELossSettings) -> SAEStep<T> {
        let (n, d, m) = (x.rows, inputSize, latentCount)
        let input = encoderInput(x)
        let pre = preActivations(ofEncoderInput: input)
        let codes: SparseCodes<T>
        var smallestKept: T?
        if architecture == .batchtopk {
            (codes, smallestKept) = Self.batchTopKCodes(pre, total: k * n)
        } else {
            codes = Self.topKCodes(pre, k: k)
        }
        let reconstruction = decode(codes)
        var (loss, gradOut) = reconstructionLoss(x, reconstruction)
        loss.l0 = Double(codes.nonzeroCount) / Double(n)
        var gEncoder = Matrix<T>(rows: m, cols: d)
        var gDecoder = Matrix<T>(rows: m, cols: d)
        var gEncoderBias = [T](repeating: 0, count: m)
        var firing = [Int](repeating: 0, count: m)
        for j in codes.indices { firing[j] += 1 }
        // For each active (b, j) with value v and output gradient g_b: dD_j += v g_b;
        // ∂L/∂pre_bj = d_j·g_b (ReLU passes it: v > 0); dE_j += that·x̃_b; db_enc,j += that.
        // Latent by latent (each thread owns a range of latents, so no two write the same row,
        // and a latent's rows stay in cache while its samples stream past).
        func backward(_ codes: SparseCodes<T>, _ gOut: Matrix<T>) {
            let columns = codes.byLatent()
            gEncoder.withUnsafeMutableBufferPointer { ge in
                gDecoder.withUnsafeMutableBufferPointer { gd in
                    gEncoderBias.withUnsafeMutableBufferPointer { gb in
                        decoder.withUnsafeBufferPointer { dp in
                            input.withUnsafeBufferPointer { xp in
                                gOut.withUnsafeBufferPointer { gp in
                                    let (geBase, gdBase, gbBase) = (ge.baseAddress!, gd.baseAddress!, gb.baseAddress!)
                                    let (dBase, xBase, gBase) = (dp.baseAddress!, xp.baseAddress!, gp.baseAddress!)
                                    parallelChunks(m) { _, latents in
                                        for j in latents {
                                            let atom = dBase + j * d
                                            var biasGradient: T = 0
                                            for e in columns.start[j]..<columns.start[j + 1] {
                                                let b = columns.samples[e]
                                                let g = gBase + b * d
                                                addScaled(d, columns.values[e], g, gdBase + j * d)
                                                let gPre = dotProduct(d, atom, g)
                                                addScaled(d, gPre, xBase + b * d, geBase + j * d)
                                                biasGradient += gPre
                                            }
                                            gbBase[j] += biasGradient
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        backward(codes, gradOut)
        if !settings.deadLatents.isEmpty {
            // Auxiliary-k (Gao et al. 2024): the k_aux largest pre-activations among dead
            // latents reconstruct the error e = x − x̂ (held fixed): α·s·mean‖Σ pre_j d_j − e‖²,
            // s = min(#dead / k_aux, 1), k_aux = d_in / 2 unless set.
            let nominal = settings.auxK ?? max(d / 2, 1)
            let scale = min(Double(settings.deadLatents.count) / Double(nominal), 1) * settings.auxKCoefficient
            var auxCodes = SparseCodes<T>(width: m)
            pre.withUnsafeBufferPointer { pp in
                settings.deadLatents.withUnsafeBufferPointer { dead in
                    for b in 0..<n {
                        let row = pp.baseAddress! + b * m
                        let chosen = TopKSelection.largest(row, count: m, k: nominal, candidates: dead)
                        auxCodes.append(indices: chosen, values: chosen.map { row[$0] })
                    }
                }
            }
            var auxPrediction = decode(auxCodes)
            auxPrediction.addToEachRow(decoderBias.map { -$0 })  // Σ pre_j d_j, without b_dec
            let error = x - reconstruction
            let diff = auxPrediction - error
            let sumSquares = diff.storage.reduce(0.0) { $0 + Double($1 * $1) }
            loss.auxiliary = scale * sumSquares / Double(n)
            backward(auxCodes, T(2 * scale / Double(n)) * diff)
        }
        let gradient = SAEGradient(
            encoder: gEncoder, encoderBias: gEncoderBias, decoder: gDecoder,
            decoderBias: decoderBiasGradient(gradOut.columnSums(), throughEncoder: gEncoderBias),
            logThreshold: [])
        return SAEStep(loss: loss, gradient: gradient, firingCounts: firing, smallestKept: smallestKept)
    }

    /// The `total` largest positive activations of the whole batch (ties broken by position),
    /// and the smallest of them.
    static func batchTopKCodes(_ pre: Matrix<T>, total: Int) -> (SparseCodes<T>, T?) {
        var positive = pre.storage.filter { $0 > 0 }
        guard !positive.isEmpty else { return (activeCodes(pre) { _, _ in false }, nil) }
        let cut = positive.count > total ? TopKSelection.kthLargest(&positive, max(total, 1)) : positive.min()!
        // Everything above the cut, then values equal to it (in order) until `total` are kept.
        var equalAllowed = min(total, positive.count) - pre.storage.lazy.filter { $0 > cut }.count
        let codes = activeCodes(pre) { v, _ in
            guard v > 0 && v >= cut else { return false }
            if v == cut {
                guard equalAllowed > 0 else { return false }
                equalAllowed -= 1
            }
            return true
        }
        return (codes, cut)
    }

    // MARK: Gated: two paths through one encoder product

    /// SAELens's GatedTrainingSAE (sae_lens/saes/gated_sae.py, 6.54), with h = x̃ W_enc,
    /// π = h + b_gate, μ = exp(r_mag) ⊙ h + b_mag, f = 1[π > 0]·ReLU(μ), a = ReLU(π):
    ///
    ///     L = mean_b ‖x − (f W_dec + b_dec)‖² + λ·mean_b Σ_j a_j‖W_dec,j‖ + mean_b ‖x − (a W_dec + b_dec)‖²
    ///
    /// Every term reaches every parameter it is written with: SAELens detaches neither W_dec nor
    /// b_dec in the auxiliary term (the paper's frozen decoder), and the gate's step 1[π > 0]
    /// passes no gradient. So b_gate learns only from the penalty and the auxiliary term, r_mag
    /// and b_mag only from the MSE, and the shared W_enc from all three.
    private func gatedStep(_ x: Matrix<T>, _ settings: SAELossSettings) -> SAEStep<T> {
        let (n, m) = (x.rows, latentCount)
        let input = encoderInput(x)
        let h = matmul(input, encoder, transposeB: true)
        var f = h
        gatedCodes(fromProduct: &f)
        let zeros = [T](repeating: 0, count: m)
        let firing = Self.applyThreshold(&f, zeros)  // f ≥ 0 already: this only counts
        var gate = h
        gate.addToEachRow(encoderBias)
        _ = Self.applyThreshold(&gate, zeros)  // a = ReLU(π)
        let reconstruction = decode(dense: f)
        var (loss, gradOut) = reconstructionLoss(x, reconstruction)
        loss.l0 = Double(firing.reduce(0, +)) / Double(n)
        let invN = 1 / T(n)

        // The auxiliary reconstruction from the gate: ∂/∂(a W_dec + b_dec) = 2(a W_dec + b_dec − x)/n.
        var gradViaGate = decode(dense: gate) - x
        loss.auxiliary = gradViaGate.storage.reduce(0.0) { $0 + Double($1 * $1) } / Double(n)
        gradViaGate.scale(by: 2 * invN)

        var gDecoder = matmul(f, gradOut, transposeA: true)
        gemm(into: &gDecoder, gate, gradViaGate, transposeA: true, beta: 1)
        let penalty: [T]
        (loss.sparsity, penalty) = decoderNormPenalty(on: gate, settings.sparsityCoefficient, decoderGradient: &gDecoder)

        // ∂L/∂μ: the MSE's ∂L/∂f where f > 0. ∂L/∂π: the auxiliary term's ∂L/∂a and the penalty
        // where a > 0.
        var gMagnitude = matmul(gradOut, decoder, transposeB: true)
        Self.maskGradient(&gMagnitude, codes: f, adding: zeros)
        var gGate = matmul(gradViaGate, decoder, transposeB: true)
        Self.maskGradient(&gGate, codes: gate, adding: penalty)
        let gMagnitudeBias = gMagnitude.columnSums()
        let gGateBias = gGate.columnSums()
        // ∂L/∂h = exp(r_mag) ⊙ ∂L/∂μ + ∂L/∂π (into gGate), and ∂L/∂r_mag,j = exp(r_j) Σ_b ∂L/∂μ_bj h_bj.
        let scale = magnitudeLogScale.map { T(Foundation.exp(Double($0))) }
        let magnitudeProducts = Self.joinGatedPaths(&gGate, magnitude: gMagnitude, product: h, scale: scale)
        let gLogScale = (0..<m).map { scale[$0] * magnitudeProducts[$0] }
        let gProduct = gGate
        let gEncoder = matmul(gProduct, input, transposeA: true)
        var outputSums = gradOut.columnSums()
        for (i, v) in gradViaGate.columnSums().enumerated() { outputSums[i] += v }
        let gradient = SAEGradient(
            encoder: gEncoder, encoderBias: gGateBias, decoder: gDecoder,
            decoderBias: decoderBiasGradient(outputSums, throughEncoder: gProduct.columnSums()),
            logThreshold: [], magnitudeLogScale: gLogScale, magnitudeBias: gMagnitudeBias)
        return SAEStep(loss: loss, gradient: gradient, firingCounts: firing, smallestKept: nil)
    }

    /// gGate ← scale ⊙ gMagnitude + gGate, row by row in parallel; returns Σ_b gMagnitude_bj·h_bj
    /// per latent (summed chunk by chunk in a fixed order, so the result does not depend on timing).
    static func joinGatedPaths(_ gGate: inout Matrix<T>, magnitude gMagnitude: Matrix<T>, product h: Matrix<T>, scale: [T]) -> [T] {
        let (n, m) = (gGate.rows, gGate.cols)
        var partial = [T](repeating: 0, count: parallelChunkCount(n) * m)
        gGate.withUnsafeMutableBufferPointer { gp in
            gMagnitude.withUnsafeBufferPointer { mp in
                h.withUnsafeBufferPointer { hp in
                    scale.withUnsafeBufferPointer { sp in
                        partial.withUnsafeMutableBufferPointer { pp in
                            let (gBase, mBase, hBase, sBase, pBase) = (
                                gp.baseAddress!, mp.baseAddress!, hp.baseAddress!, sp.baseAddress!, pp.baseAddress!
                            )
                            parallelChunks(n) { chunk, rows in
                                let mine = pBase + chunk * m
                                for b in rows {
                                    let (g, gm, hv) = (gBase + b * m, mBase + b * m, hBase + b * m)
                                    for j in 0..<m {
                                        mine[j] += gm[j] * hv[j]
                                        g[j] += sBase[j] * gm[j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (0..<m).map { j in stride(from: j, to: partial.count, by: m).reduce(T(0)) { $0 + partial[$1] } }
    }

    // MARK: Matching pursuit: unrolled steps

    private func matchingPursuitStep(_ x: Matrix<T>) -> SAEStep<T> {
        let (n, d, m) = (x.rows, inputSize, latentCount)
        let result = MatchingPursuit.encode(
            x, atoms: decoder, bias: decoderBias, gram: gram(decoder, transpose: false),
            stopping: MatchingPursuitStopping(maxSteps: k))
        let reconstruction = decode(result.codes)
        var (loss, gradOut) = reconstructionLoss(x, reconstruction)
        loss.l0 = Double(result.codes.nonzeroCount) / Double(n)
        var firing = [Int](repeating: 0, count: m)
        for j in result.codes.indices { firing[j] += 1 }
        // L = mean ‖r_K‖² with r_K = x − x̂, so ∂L/∂r_K = −∂L/∂x̂. Backwards through each step
        // r_t = r_{t−1} − c d_j, c = d_j·r_{t−1}: ∂L/∂d_j += −c g − (g·d_j) r_{t−1} and
        // ∂L/∂r_{t−1} = g − (g·d_j) d_j; r_{t−1} = r_t + c d_j is recovered on the way back.
        // Finally r₀ = x − b_dec gives ∂L/∂b_dec = −Σ_b ∂L/∂r₀.
        var gDecoder = Matrix<T>(rows: m, cols: d)
        var gDecoderBias = [T](repeating: 0, count: d)
        var g = [T](repeating: 0, count: d)
        var r = [T](repeating: 0, count: d)
        gDecoder.withUnsafeMutableBufferPointer { gd in
            decoder.withUnsafeBufferPointer { dp in
                x.withUnsafeBufferPointer { xp in
                    reconstruction.withUnsafeBufferPointer { rp in
                        gradOut.withUnsafeBufferPointer { gp in
                            for b in 0..<n {
                                for i in 0..<d {
                                    r[i] = xp[b * d + i] - rp[b * d + i]
                                    g[i] = -gp[b * d + i]
                                }
                                for e in result.path.range(b).reversed() {
                                    let j = result.path.indices[e], c = result.path.values[e]
                                    let atom = dp.baseAddress! + j * d
                                    r.withUnsafeMutableBufferPointer { addScaled(d, c, atom, $0.baseAddress!) }
                                    let s = g.withUnsafeBufferPointer { dotProduct(d, $0.baseAddress!, atom) }
                                    let row = gd.baseAddress! + j * d
                                    for i in 0..<d { row[i] -= c * g[i] + s * r[i] }
                                    g.withUnsafeMutableBufferPointer { addScaled(d, -s, atom, $0.baseAddress!) }
                                }
                                for i in 0..<d { gDecoderBias[i] -= g[i] }
                            }
                        }
                    }
                }
            }
        }
        let gradient = SAEGradient(
            encoder: Matrix(rows: 0, cols: d), encoderBias: [], decoder: gDecoder,
            decoderBias: gDecoderBias, logThreshold: [])
        return SAEStep(loss: loss, gradient: gradient, firingCounts: firing, smallestKept: nil)
    }

    // MARK: Shared pieces

    /// The L1 penalty λ·mean_b Σ_j c_bj‖d_j‖ on nonnegative codes c (standard: f; gated: ReLU(π)):
    /// adds ∂/∂d_j = λ(Σ_b c_bj / n) d_j/‖d_j‖ to `decoderGradient`; returns the penalty and
    /// ∂/∂c_bj = λ‖d_j‖/n per latent.
    private func decoderNormPenalty(on codes: Matrix<T>, _ coefficient: Double, decoderGradient: inout Matrix<T>) -> (Double, [T]) {
        let (lambda, invN, d) = (T(coefficient), 1 / T(codes.rows), inputSize)
        let norms = decoder.rowNorms()
        let sums = codes.columnSums()
        let value = coefficient * Double(zip(sums, norms).reduce(T(0)) { $0 + $1.0 * $1.1 } * invN)
        decoderGradient.withUnsafeMutableBufferPointer { gp in
            decoder.withUnsafeBufferPointer { dp in
                for j in 0..<latentCount where norms[j] > 0 {
                    addScaled(d, lambda * sums[j] * invN / norms[j], dp.baseAddress! + j * d, gp.baseAddress! + j * d)
                }
            }
        }
        return (value, norms.map { lambda * $0 * invN })
    }

    /// The reconstruction terms: MSE, FVU, and ∂MSE/∂x̂ = 2(x̂ − x)/n.
    private func reconstructionLoss(_ x: Matrix<T>, _ reconstruction: Matrix<T>) -> (SAEBatchLoss, Matrix<T>) {
        let n = x.rows
        var gradOut = reconstruction - x
        let errorSquares = gradOut.storage.reduce(0.0) { $0 + Double($1 * $1) }
        let variance = totalVariance(x)
        gradOut.scale(by: 2 / T(n))
        let mse = errorSquares / Double(n)
        let loss = SAEBatchLoss(
            total: 0, mse: mse, sparsity: 0, auxiliary: 0, l0: 0,
            fvu: variance > 0 ? errorSquares / variance : .nan)
        return (loss, gradOut)
    }

    /// ∂L/∂b_dec: `output`, Σ_b ∂L/∂x̂_b from wherever b_dec is added to an output, and, when b_dec
    /// is subtracted from the encoder's input, minus Σ_b ∂L/∂x̃_b = −W_enc·`throughEncoder`, where
    /// `throughEncoder` = Σ_b ∂L/∂(x̃_b W_enc) is what b_enc's gradient is (one matrix–vector product).
    private func decoderBiasGradient(_ output: [T], throughEncoder: [T]) -> [T] {
        var g = output
        if appliesDecoderBiasToInput {
            let through = matvec(encoder, throughEncoder, transpose: true)
            for i in 0..<g.count { g[i] -= through[i] }
        }
        return g
    }
}
