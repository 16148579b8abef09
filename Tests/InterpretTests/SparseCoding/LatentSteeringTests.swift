import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import Transformers
import XCTest

/// Steering the random test GPT-2 with an SAE latent, against the final LayerNorm and the
/// unembedding computed here from the checkpoint's tensors.
final class LatentSteeringTests: XCTestCase {
    let folder = fixtures.appendingPathComponent("transformers/gpt2")
    let prompt = [5, 17, 301, 42, 9]

    private func sae() -> SparseAutoencoder<Float> {
        var rng = SeededRandom(seed: 7)
        return SparseAutoencoder(
            architecture: .standard, encoder: rng.normalMatrix(rows: 32, cols: 64, std: 0.3), encoderBias: [Float](repeating: 0, count: 32),
            decoder: rng.normalMatrix(rows: 32, cols: 64, std: 0.3), decoderBias: [Float](repeating: 0, count: 64))
    }

    /// At the last block's output, x + α·d_j goes through ln_f and W_teᵀ only.
    func testSteeringTheLastBlockIsTheFinalNormOfTheShiftedStream() throws {
        let model = try Transformer.load(folder)
        let file = try SafeTensors.read(folder.appendingPathComponent("model.safetensors"))
        let (gamma, beta) = (
            try XCTUnwrap(file["transformer.ln_f.weight"]).doubles(), try XCTUnwrap(file["transformer.ln_f.bias"]).doubles()
        )
        let wte = try XCTUnwrap(file["transformer.wte.weight"]).doubles()
        let autoencoder = sae()
        let hook = "blocks.1.hook_resid_post"
        let x = try XCTUnwrap(model.run(prompt, keeping: [hook]).hooks[hook]).row(prompt.count - 1).map(Double.init)
        let alpha = 4.0
        let shifted = zip(x, autoencoder.decoder.row(5)).map { $0 + alpha * Double($1) }
        let mean = shifted.reduce(0, +) / 64
        let variance = shifted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 64
        let normed = shifted.indices.map { (shifted[$0] - mean) / (variance + 1e-5).squareRoot() * gamma[$0] + beta[$0] }
        let logits = (0..<4001).map { t in (0..<64).reduce(0.0) { $0 + normed[$1] * wte[t * 64 + $1] } }
        let top = logits.max()!
        let total = logits.reduce(0) { $0 + exp($1 - top) }
        let result = try LatentSteering.measure(
            autoencoder, latent: 5, change: .steer(alpha: alpha), on: model, hook: hook, prompt: prompt, special: [])
        let likeliest = logits.indices.max { logits[$0] < logits[$1] }!
        XCTAssertEqual(result.after[0].token, likeliest)
        for c in result.after { XCTAssertEqual(c.after, exp(logits[c.token] - top) / total, accuracy: 1e-5) }
        XCTAssertGreaterThan(result.kl, 0)
    }

    /// Steering by zero, or ablating a latent that is silent everywhere, changes nothing.
    func testNoChangeGivesTheSameDistribution() throws {
        let model = try Transformer.load(folder)
        var silent = sae()
        silent.encoderBias[3] = -1e6
        for (autoencoder, change) in [(sae(), LatentSteering.Change.steer(alpha: 0)), (silent, .ablate)] {
            let result = try LatentSteering.measure(
                autoencoder, latent: 3, change: change, on: model, hook: "blocks.0.hook_resid_mid", prompt: prompt, special: [])
            XCTAssertEqual(result.kl, 0, accuracy: 1e-9)
            for c in result.before { XCTAssertEqual(c.before, c.after, accuracy: 1e-9) }
        }
    }

    func testRefusals() throws {
        let model = try Transformer.load(folder)
        XCTAssertThrowsError(
            try LatentSteering.measure(
                sae(), latent: 99, change: .ablate, on: model, hook: "blocks.0.hook_resid_mid", prompt: prompt, special: [])
        ) { XCTAssertTrue("\($0)".contains("latent 99 is not one of the SAE's 32"), "\($0)") }
        XCTAssertThrowsError(
            try LatentSteering.measure(
                sae(), latent: 1, change: .ablate, on: model, hook: "blocks.0.mlp.hook_post", prompt: prompt, special: [])
        ) { XCTAssertTrue("\($0)".contains("256 values per token, the SAE takes d_in = 64"), "\($0)") }
    }
}
