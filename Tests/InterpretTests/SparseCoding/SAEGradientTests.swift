import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// Every architecture's gradient against central finite differences of its loss, in Float64.
final class SAEGradientTests: XCTestCase {
    let (dIn, dSAE, batch) = (5, 7, 4)

    /// A random SAE with decoder rows of uneven norm (so the decoder-norm weighting matters).
    func makeSAE(_ architecture: SAEArchitecture, k: Int = 3, seed: UInt64) -> SparseAutoencoder<Double> {
        var rng = SeededRandom(seed: seed)
        let decoder: Matrix<Double> = rng.normalMatrix(rows: dSAE, cols: dIn, std: 0.7)
        let encoder: Matrix<Double> = rng.normalMatrix(rows: dSAE, cols: dIn, std: 0.7)
        let gated = architecture == .gated
        return SparseAutoencoder(
            architecture: architecture, encoder: encoder,
            encoderBias: (0..<dSAE).map { _ in rng.normal() * 0.3 },
            decoder: decoder, decoderBias: (0..<dIn).map { _ in rng.normal() * 0.3 },
            threshold: architecture == .jumprelu ? (0..<dSAE).map { _ in 0.2 + 0.3 * rng.uniform() } : [],
            magnitudeLogScale: gated ? (0..<dSAE).map { _ in rng.normal() * 0.5 } : [],
            magnitudeBias: gated ? (0..<dSAE).map { _ in rng.normal() * 0.3 } : [],
            k: k)
    }

    func batchInput(seed: UInt64) -> Matrix<Double> {
        var rng = SeededRandom(seed: seed)
        return rng.normalMatrix(rows: batch, cols: dIn, std: 1.5)
    }

    /// The trainable entries as (tensor, index) with a setter, in a fixed order.
    enum Slot { case encoder(Int), encoderBias(Int), decoder(Int), decoderBias(Int), magnitudeLogScale(Int), magnitudeBias(Int) }

    func slots(_ sae: SparseAutoencoder<Double>) -> [Slot] {
        (sae.architecture.hasEncoder ? (0..<sae.encoder.count).map(Slot.encoder) + (0..<dSAE).map(Slot.encoderBias) : [])
            + (0..<sae.decoder.count).map(Slot.decoder) + (0..<dIn).map(Slot.decoderBias)
            + (0..<sae.magnitudeLogScale.count).map(Slot.magnitudeLogScale) + (0..<sae.magnitudeBias.count).map(Slot.magnitudeBias)
    }

    func shifted(_ sae: SparseAutoencoder<Double>, _ slot: Slot, by h: Double) -> SparseAutoencoder<Double> {
        var s = sae
        switch slot {
        case .encoder(let i): s.encoder[i / dIn, i % dIn] += h
        case .encoderBias(let i): s.encoderBias[i] += h
        case .decoder(let i): s.decoder[i / dIn, i % dIn] += h
        case .decoderBias(let i): s.decoderBias[i] += h
        case .magnitudeLogScale(let i): s.magnitudeLogScale[i] += h
        case .magnitudeBias(let i): s.magnitudeBias[i] += h
        }
        return s
    }

    func analytic(_ g: SAEGradient<Double>, _ slot: Slot) -> Double {
        switch slot {
        case .encoder(let i): return g.encoder.storage[i]
        case .encoderBias(let i): return g.encoderBias[i]
        case .decoder(let i): return g.decoder.storage[i]
        case .decoderBias(let i): return g.decoderBias[i]
        case .magnitudeLogScale(let i): return g.magnitudeLogScale[i]
        case .magnitudeBias(let i): return g.magnitudeBias[i]
        }
    }

    /// Compares `gradient` with central differences of `loss` for every entry.
    func check(
        _ sae: SparseAutoencoder<Double>, gradient: SAEGradient<Double>, loss: (SparseAutoencoder<Double>) -> Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let h = 1e-6
        var checked = 0
        for slot in slots(sae) {
            let numeric = (loss(shifted(sae, slot, by: h)) - loss(shifted(sae, slot, by: -h))) / (2 * h)
            let value = analytic(gradient, slot)
            XCTAssertEqual(value, numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(sae.architecture) \(slot)", file: file, line: line)
            if numeric != 0 { checked += 1 }
        }
        // The check means something only if most entries have a gradient.
        XCTAssertGreaterThan(checked, slots(sae).count / 3, "too few nonzero derivatives", file: file, line: line)
    }

    func checkLoss(
        _ sae: SparseAutoencoder<Double>, _ settings: SAELossSettings, x: Matrix<Double>,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        check(
            sae, gradient: sae.lossAndGradient(x, settings: settings).gradient,
            loss: { $0.lossAndGradient(x, settings: settings).loss.total }, file: file, line: line)
    }

    func testStandardWithDecoderNormWeightedL1() {
        let x = batchInput(seed: 1)
        checkLoss(makeSAE(.standard, seed: 2), SAELossSettings(sparsityCoefficient: 0.7), x: x)
        var noInputBias = makeSAE(.standard, seed: 3)
        noInputBias.appliesDecoderBiasToInput = false
        checkLoss(noInputBias, SAELossSettings(sparsityCoefficient: 0.3), x: x)
    }

    func testTopKAndBatchTopK() {
        let x = batchInput(seed: 4)
        checkLoss(makeSAE(.topk, k: 3, seed: 5), SAELossSettings(), x: x)
        // Batch top-k keeps k·B = 12 of the batch's activations, unevenly spread over samples.
        let sae = makeSAE(.batchtopk, k: 3, seed: 6)
        let step = sae.lossAndGradient(x, settings: SAELossSettings())
        XCTAssertEqual(step.loss.l0, 3, accuracy: 1e-12)
        checkLoss(sae, SAELossSettings(), x: x)
    }

    /// The auxiliary-k loss holds the error e = x − x̂ fixed, so its gradient is checked against
    /// differences of a loss written out here with e frozen at the current parameters.
    func testAuxiliaryKLoss() {
        let x = batchInput(seed: 7)
        let sae = makeSAE(.topk, k: 2, seed: 8)
        let dead = [1, 3, 4, 6]
        let (alpha, auxK) = (0.25, 2)
        let settings = SAELossSettings(deadLatents: dead, auxKCoefficient: alpha, auxK: auxK)
        let error = x - sae.reconstruct(x)
        let scale = alpha * min(Double(dead.count) / Double(auxK), 1)
        func auxiliary(_ s: SparseAutoencoder<Double>) -> Double {
            let pre = s.preActivations(x)
            var total = 0.0
            for b in 0..<batch {
                let chosen = dead.sorted { pre[b, $0] > pre[b, $1] }.prefix(auxK)
                for i in 0..<dIn {
                    let predicted = chosen.reduce(0.0) { $0 + pre[b, $1] * s.decoder[$1, i] }
                    total += (predicted - error[b, i]) * (predicted - error[b, i])
                }
            }
            return scale * total / Double(batch)
        }
        let step = sae.lossAndGradient(x, settings: settings)
        XCTAssertEqual(step.loss.auxiliary, auxiliary(sae), accuracy: 1e-12)
        let plain = SAELossSettings()
        check(
            sae, gradient: step.gradient,
            loss: { $0.lossAndGradient(x, settings: plain).loss.total + auxiliary($0) })
    }

    func testJumpReLUAwayFromTheThreshold() {
        // With a narrow kernel no pre-activation is within ε/2 of its threshold: the
        // straight-through estimate of the threshold's gradient is 0, like the true derivative.
        let x = batchInput(seed: 9)
        let sae = makeSAE(.jumprelu, seed: 10)
        let settings = SAELossSettings(sparsityCoefficient: 0.4, bandwidth: 1e-4)
        let pre = sae.preActivations(x)
        for b in 0..<batch { for j in 0..<dSAE { XCTAssertGreaterThan(abs(pre[b, j] - sae.threshold[j]), 1e-4) } }
        let step = sae.lossAndGradient(x, settings: settings)
        XCTAssertEqual(step.gradient.logThreshold, [Double](repeating: 0, count: dSAE))
        checkLoss(sae, settings, x: x)
    }

    /// The threshold's straight-through gradient (Rajamanoharan et al. 2024), entry by entry:
    /// ∂L/∂θ_j = Σ_b K((pre_bj − θ_j)/ε)·(−θ_j/ε·∂L/∂f_bj − λ/(Bε)), K the unit rectangle.
    func testJumpReLUStraightThroughEstimator() {
        let x = batchInput(seed: 11)
        let sae = makeSAE(.jumprelu, seed: 12)
        let (lambda, eps) = (0.4, 2.5)
        let step = sae.lossAndGradient(x, settings: SAELossSettings(sparsityCoefficient: lambda, bandwidth: eps))
        let pre = sae.preActivations(x)
        let reconstruction = sae.reconstruct(x)
        var inWindow = 0
        for j in 0..<dSAE {
            var expected = 0.0
            let theta = sae.threshold[j]
            for b in 0..<batch where abs(pre[b, j] - theta) < eps / 2 {
                inWindow += 1
                let gf = (0..<dIn).reduce(0.0) { $0 + 2 * (reconstruction[b, $1] - x[b, $1]) / Double(batch) * sae.decoder[j, $1] }
                expected += -theta / eps * gf - lambda / (Double(batch) * eps)
            }
            XCTAssertEqual(step.gradient.logThreshold[j], theta * expected, accuracy: 1e-12, "latent \(j)")
        }
        XCTAssertGreaterThan(inWindow, 4)
    }

    /// Gated: every parameter (W_enc, b_gate, r_mag, b_mag, W_dec, b_dec) against central
    /// differences of the whole loss, with b_dec subtracted from the input and without. Random
    /// pre-activations are nowhere within h of the gate's step or the ReLU's kink.
    func testGated() {
        let x = batchInput(seed: 15)
        let sae = makeSAE(.gated, seed: 16)
        let settings = SAELossSettings(sparsityCoefficient: 0.6)
        let step = sae.lossAndGradient(x, settings: settings)
        // Some latents open the gate but have a negative magnitude, some the reverse: both masks matter.
        let pre = sae.preActivations(x)
        let codes = sae.encode(x).dense
        XCTAssertTrue((0..<batch).contains { b in (0..<dSAE).contains { pre[b, $0] > 0 && codes[b, $0] == 0 } })
        XCTAssertTrue((0..<batch).contains { b in (0..<dSAE).contains { pre[b, $0] <= 0 } })
        XCTAssertGreaterThan(step.loss.l0, 1)
        XCTAssertGreaterThan(step.loss.auxiliary, 0)
        XCTAssertGreaterThan(step.loss.sparsity, 0)
        checkLoss(sae, settings, x: x)
        var noInputBias = makeSAE(.gated, seed: 17)
        noInputBias.appliesDecoderBiasToInput = false
        checkLoss(noInputBias, SAELossSettings(sparsityCoefficient: 0.2), x: x)
    }

    /// The gated loss terms written out here from their definitions (Rajamanoharan et al. 2024,
    /// as SAELens's GatedTrainingSAE), entry by entry, against what lossAndGradient reports.
    func testGatedLossTermsByHand() {
        let x = batchInput(seed: 18)
        let sae = makeSAE(.gated, seed: 19)
        let lambda = 0.6
        let loss = sae.lossAndGradient(x, settings: SAELossSettings(sparsityCoefficient: lambda)).loss
        var (mse, l1, aux, l0) = (0.0, 0.0, 0.0, 0.0)
        for b in 0..<batch {
            let centred = (0..<dIn).map { x[b, $0] - sae.decoderBias[$0] }
            var f = [Double](repeating: 0, count: dSAE), gate = f
            for j in 0..<dSAE {
                let h = (0..<dIn).reduce(0.0) { $0 + centred[$1] * sae.encoder[j, $1] }
                let pi = h + sae.encoderBias[j]
                let mu = exp(sae.magnitudeLogScale[j]) * h + sae.magnitudeBias[j]
                f[j] = pi > 0 ? max(mu, 0) : 0
                gate[j] = max(pi, 0)
                l0 += f[j] > 0 ? 1 : 0
                l1 += gate[j] * (0..<dIn).reduce(0.0) { $0 + sae.decoder[j, $1] * sae.decoder[j, $1] }.squareRoot()
            }
            for i in 0..<dIn {
                let xHat = (0..<dSAE).reduce(sae.decoderBias[i]) { $0 + f[$1] * sae.decoder[$1, i] }
                let viaGate = (0..<dSAE).reduce(sae.decoderBias[i]) { $0 + gate[$1] * sae.decoder[$1, i] }
                mse += (xHat - x[b, i]) * (xHat - x[b, i])
                aux += (viaGate - x[b, i]) * (viaGate - x[b, i])
            }
        }
        let n = Double(batch)
        XCTAssertEqual(loss.mse, mse / n, accuracy: 1e-12)
        XCTAssertEqual(loss.sparsity, lambda * l1 / n, accuracy: 1e-12)
        XCTAssertEqual(loss.auxiliary, aux / n, accuracy: 1e-12)
        XCTAssertEqual(loss.l0, l0 / n, accuracy: 1e-12)
        XCTAssertEqual(loss.total, (mse + lambda * l1 + aux) / n, accuracy: 1e-12)
    }

    /// Gated against SAELens itself: GatedTrainingSAE.training_forward_pass and torch's autograd
    /// on two fixed cases in float64 (Tests/Fixtures/sparse/make_gated_gradient.py), so the terms,
    /// and which parameters each reaches, are SAELens's and not only self-consistent.
    func testGatedAgainstSAELensAutograd() throws {
        let file = try SafeTensors.read(fixtures.appendingPathComponent("sparse/gated_gradient.safetensors"))
        for (name, appliesBias) in [("gated", true), ("gated_no_b_dec_input", false)] {
            func values(_ key: String) -> [Double] { file["\(name).\(key)"]!.doubles() }
            func matrix(_ key: String) -> Matrix<Double> { file["\(name).\(key)"]!.matrix() }
            let sae = SparseAutoencoder(
                architecture: .gated, encoder: matrix("W_enc").transposed(), encoderBias: values("b_gate"),
                decoder: matrix("W_dec"), decoderBias: values("b_dec"), magnitudeLogScale: values("r_mag"),
                magnitudeBias: values("b_mag"), appliesDecoderBiasToInput: appliesBias)
            let step = sae.lossAndGradient(matrix("x"), settings: SAELossSettings(sparsityCoefficient: values("l1_coefficient")[0]))
            let losses = values("losses")
            XCTAssertEqual(step.loss.mse, losses[0], accuracy: 1e-10 * losses[0], name)
            XCTAssertEqual(step.loss.sparsity, losses[1], accuracy: 1e-10 * losses[1], name)
            XCTAssertEqual(step.loss.auxiliary, losses[2], accuracy: 1e-10 * losses[2], name)
            let g = step.gradient
            let pairs: [(String, [Double])] = [
                ("W_enc", g.encoder.transposed().storage), ("b_gate", g.encoderBias), ("r_mag", g.magnitudeLogScale),
                ("b_mag", g.magnitudeBias), ("W_dec", g.decoder.storage), ("b_dec", g.decoderBias)
            ]
            for (key, ours) in pairs {
                let theirs = values("grad.\(key)")
                XCTAssertEqual(ours.count, theirs.count, "\(name) \(key)")
                let scale = max(theirs.map(abs).max() ?? 0, 1)
                XCTAssertGreaterThan(theirs.map(abs).max() ?? 0, 0, "\(name) \(key): SAELens's gradient is zero")
                let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst / scale, 1e-10, "\(name) ∂L/∂\(key)")
            }
        }
    }

    /// Matching pursuit unrolled over its k steps: exact through the coefficients and residuals
    /// with the argmax held (small changes of the parameters do not change it).
    func testMatchingPursuit() {
        let x = batchInput(seed: 13)
        var sae = makeSAE(.matchingPursuit, k: 4, seed: 14)
        // Near-unit atoms, as in training, but not exactly: the maths holds for any atoms.
        let norms = sae.decoder.rowNorms()
        for j in 0..<dSAE { sae.decoder.setRow(j, sae.decoder.row(j).map { $0 / norms[j] * (0.9 + 0.02 * Double(j)) }) }
        let step = sae.lossAndGradient(x, settings: SAELossSettings())
        XCTAssertGreaterThan(step.loss.l0, 2)
        checkLoss(sae, SAELossSettings(), x: x)
    }
}
