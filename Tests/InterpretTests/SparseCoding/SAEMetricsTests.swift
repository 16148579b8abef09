import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

final class SAEMetricsTests: XCTestCase {
    /// A standard SAE with W_enc = I and W_dec = scale·I on d = 4: on nonnegative data its codes
    /// are x itself and its reconstruction scale·x.
    func diagonalSAE(scale: Float) -> SparseAutoencoder<Float> {
        var decoder = Matrix<Float>.identity(4)
        decoder.scale(by: scale)
        return SparseAutoencoder(
            architecture: .standard, encoder: .identity(4), encoderBias: [0, 0, 0, 0],
            decoder: decoder, decoderBias: [0, 0, 0, 0])
    }

    /// Nonnegative samples; latent 3 never fires, latent 0 fires on every sample.
    let x = Matrix<Float>([[1, 0, 2, 0], [3, 1, 0, 0], [2, 2, 1, 0], [1, 0, 0, 0]])

    func testPerfectReconstruction() throws {
        let m = try diagonalSAE(scale: 1).evaluate(on: ActivationMatrix(x, name: "x"))
        XCTAssertEqual(m.samples, 4)
        XCTAssertEqual(m.explainedVariance, 1, accuracy: 1e-12)
        XCTAssertEqual(m.fvu, 0, accuracy: 1e-12)
        XCTAssertEqual(m.mse, 0, accuracy: 1e-12)
        XCTAssertEqual(m.cosine, 1, accuracy: 1e-6)
        XCTAssertEqual(m.shrinkage, 1, accuracy: 1e-6)
        // Active latents per sample: 2, 2, 3, 1.
        XCTAssertEqual(m.l0, 2)
        XCTAssertEqual(m.l0Histogram, [0, 1, 2, 1])
        XCTAssertEqual(m.latentFrequency, [1, 0.5, 0.5, 0])
        XCTAssertEqual(m.latentMeanActivation, [7.0 / 4, 1.5, 1.5, 0])
        XCTAssertEqual(m.deadFraction, 0.25)
        XCTAssertEqual(m.denseFraction, 0.75)  // above 10 %: latents 0, 1, 2
        XCTAssertEqual(m.density.dead, 1)
        XCTAssertEqual(m.density.counts.reduce(0, +), 3)
        // Frequency 1 falls in the last bin, 0.5 (log10 −0.30) in the one below it.
        XCTAssertEqual(m.density.counts.last, 1)
        XCTAssertEqual(m.density.counts[m.density.counts.count - 2], 2)
        XCTAssertEqual(m.density.edges.last!, 0, accuracy: 1e-12)
        XCTAssertNil(m.downstream)
    }

    func testHalvedReconstructionByHand() throws {
        let m = try diagonalSAE(scale: 0.5).evaluate(on: ActivationMatrix(x, name: "x"), batchSize: 3)
        // e = x/2: Σ‖e‖² = Σ‖x‖²/4 = 25/4; Σ‖x − x̄‖² = 25 − 4·‖x̄‖² with x̄ = (7/4, 3/4, 3/4, 0).
        let sumSquares = 25.0
        let variance = sumSquares - 4 * (49.0 + 9 + 9) / 16
        XCTAssertEqual(m.fvu, sumSquares / 4 / variance, accuracy: 1e-12)
        XCTAssertEqual(m.explainedVariance, 1 - m.fvu, accuracy: 1e-12)
        XCTAssertEqual(m.mse, sumSquares / 4 / 16, accuracy: 1e-12)
        XCTAssertEqual(m.cosine, 1, accuracy: 1e-6)
        XCTAssertEqual(m.shrinkage, 0.5, accuracy: 1e-6)
    }

    func testDownstreamEffectOfSplicingIn() throws {
        let spec = try ShortSpec.parse("mlp:4-4-3", name: "tiny")
        let network = try NetworkFile.untrained(spec, seed: 1)
        var rng = SeededRandom(seed: 2)
        let inputs: Matrix<Float> = rng.uniformMatrix(rows: 50, cols: 4, low: -1, high: 1)
        let data = Dataset(name: "random", x: inputs, labels: (0..<50).map { $0 % 3 }, sampleShape: [4])
        let source = try LayerActivationSource(network: network, layer: "relu1", data: data)
        XCTAssertEqual(source.dimension, 4)
        // The identity on ReLU outputs reconstructs them exactly: splicing it in changes nothing.
        let exact = try diagonalSAE(scale: 1).evaluate(on: source, batchSize: 16)
        let d = try XCTUnwrap(exact.downstream)
        XCTAssertEqual(d.samples, 50)
        XCTAssertEqual(d.splicedLoss, d.cleanLoss, accuracy: 1e-6)
        XCTAssertEqual(d.splicedAccuracy, d.cleanAccuracy)
        XCTAssertEqual(d.lossRecovered, 1, accuracy: 1e-5)
        XCTAssertEqual(d.agreement, 1)
        let clean = network.evaluate(inputs, labels: data.labels)!
        XCTAssertEqual(d.cleanLoss, clean.loss, accuracy: 1e-6)
        XCTAssertEqual(d.cleanAccuracy, clean.accuracy)
        // An SAE whose decoder is zero reconstructs b_dec = 0: splicing it in is zero ablation.
        let zero = try diagonalSAE(scale: 0).evaluate(on: source)
        XCTAssertEqual(zero.downstream!.splicedLoss, zero.downstream!.zeroAblatedLoss, accuracy: 1e-6)
        XCTAssertEqual(zero.downstream!.lossRecovered, 0, accuracy: 1e-5)
    }

    func testTopActivationsAndLogitEffect() throws {
        let sae = diagonalSAE(scale: 1)
        let top = try sae.topActivations(on: ActivationMatrix(x, name: "x"), count: 2, batchSize: 3)
        XCTAssertEqual(top[0], [LatentActivation(sample: 1, value: 3), LatentActivation(sample: 2, value: 2)])
        XCTAssertEqual(top[2], [LatentActivation(sample: 0, value: 2), LatentActivation(sample: 2, value: 1)])
        XCTAssertEqual(top[3], [])
        // Through a linear readout the effect of latent j is f_j·(row j of W), averaged.
        let spec = try ShortSpec.parse("mlp:4-4-3", name: "tiny")
        let network = try NetworkFile.untrained(spec, seed: 3)
        let data = Dataset(name: "x", x: Matrix<Float>([[0.5, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]), labels: nil, sampleShape: [4])
        let source = try LayerActivationSource(network: network, layer: "relu1", data: data)
        let acts = try source.all()
        guard case .linear(let readout) = network.layers[2].operation else { return XCTFail("fc2 is linear") }
        let latent = try XCTUnwrap((0..<4).first { j in (0..<3).contains { acts[$0, j] > 0 } })
        let firing = (0..<3).filter { acts[$0, latent] > 0 }
        let effect = try XCTUnwrap(try sae.logitEffect(of: latent, on: source))
        for c in 0..<3 {
            let expected = firing.reduce(0.0) { $0 + Double(acts[$1, latent] * readout.weight[c, latent]) } / Double(firing.count)
            XCTAssertEqual(effect[c], expected, accuracy: 1e-5)
        }
        XCTAssertThrowsError(try sae.logitEffect(of: 9, on: source))
    }

    /// All latents at once, through a nonlinear rest of the network (fc2, relu2, fc3): the
    /// identity SAE reconstructs relu1 exactly, so removing latent j zeroes unit j; each
    /// effect is the mean over the first `maxSamples` samples where unit j is positive, across
    /// batch boundaries, of scores(a) − scores(a with unit j zeroed), computed sample by sample.
    func testLogitEffectsOfEveryLatentInOnePass() throws {
        let network = try NetworkFile.untrained(try ShortSpec.parse("mlp:4-4-4-3", name: "deeper"), seed: 5)
        var rng = SeededRandom(seed: 9)
        let data = Dataset(name: "random", x: rng.uniformMatrix(rows: 40, cols: 4, low: -1, high: 1), labels: nil, sampleShape: [4])
        let source = try LayerActivationSource(network: network, layer: "relu1", data: data)
        let acts = try source.all()
        let sae = diagonalSAE(scale: 1)
        let effects = try sae.logitEffects(on: source, maxSamples: 6, batchSize: 7)
        XCTAssertEqual(effects.count, 4)
        for j in 0..<4 {
            let firing = Array((0..<40).filter { acts[$0, j] > 0 }.prefix(6))
            guard !firing.isEmpty else { XCTAssertNil(effects[j]); continue }
            var expected = [Double](repeating: 0, count: 3)
            for b in firing {
                let a = Matrix<Float>([Array(acts.row(b))])
                var removed = a
                removed[0, j] = 0
                let difference = network.forward(from: 2, a) - network.forward(from: 2, removed)
                for c in 0..<3 { expected[c] += Double(difference[0, c]) / Double(firing.count) }
            }
            let effect = try XCTUnwrap(effects[j], "latent \(j) fires on \(firing.count) samples")
            for c in 0..<3 { XCTAssertEqual(effect[c], expected[c], accuracy: 1e-5, "latent \(j) class \(c)") }
            XCTAssertEqual(try sae.logitEffect(of: j, on: source, maxSamples: 6, batchSize: 7), effects[j])
        }
        // Only the latents asked for.
        let one = try sae.logitEffects(on: source, latents: [2], maxSamples: 6)
        XCTAssertEqual(one.indices.filter { one[$0] != nil }, effects[2] == nil ? [] : [2])
    }

    func testMismatchedActivationsAreRefused() {
        assertThrowsMessage(
            try diagonalSAE(scale: 1).evaluate(on: ActivationMatrix(Matrix(rows: 3, cols: 5), name: "acts.npy")),
            contains: ["acts.npy", "5 features", "d_in = 4"])
    }
}
