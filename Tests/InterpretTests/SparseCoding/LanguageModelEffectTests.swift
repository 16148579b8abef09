import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import Transformers
import XCTest

/// An SAE spliced into a language model (the random test GPT-2) at a hook point: its losses
/// against values the maths fixes.
final class LanguageModelEffectTests: XCTestCase {
    let folder = fixtures.appendingPathComponent("transformers/gpt2")
    let contexts = [[5, 17, 301, 42, 9, 1200, 77], [3, 3, 800, 2500, 61], [4000, 12, 12, 12]]

    private func source(_ model: Transformer, _ hook: String, special: Set<Int> = []) throws -> TextHookSource {
        let values = try model.run(contexts: contexts, keeping: [hook]).hooks[hook]!
        return TextHookSource(name: "test", values: values, model: model, hook: hook, contexts: contexts, special: special)
    }

    /// relu(x) − relu(−x) = x: a standard SAE with W_enc = [I; −I], W_dec = [I; −I] and no
    /// biases reconstructs every input exactly, so splicing it changes nothing.
    private func exactSAE(_ d: Int) -> SparseAutoencoder<Float> {
        let identity = Matrix<Float>.identity(d)
        let both = Matrix.vstack([identity, identity.map { -$0 }])
        return SparseAutoencoder(
            architecture: .standard, encoder: both, encoderBias: [Float](repeating: 0, count: 2 * d), decoder: both,
            decoderBias: [Float](repeating: 0, count: d))
    }

    func testAnExactSAEChangesNothing() throws {
        let model = try Transformer.load(folder)
        let effect = try LanguageModelEffect.measure(exactSAE(64), on: source(model, "blocks.0.hook_resid_post"))
        XCTAssertEqual(effect.predictions, 6 + 4 + 3)
        XCTAssertEqual(effect.splicedLoss, effect.cleanLoss, accuracy: 1e-5)
        XCTAssertEqual(effect.splicedKL, 0, accuracy: 1e-6)
        XCTAssertEqual(effect.lossRecovered, 1, accuracy: 1e-4)
        XCTAssertEqual(effect.errorKeptLoss, effect.cleanLoss, accuracy: 1e-5)
    }

    /// Zeroing the last block's output leaves the final LayerNorm only its bias β, so every
    /// position's logits are β·W_teᵀ: the zero-ablated loss follows from two tensors of the file.
    func testZeroAblationOfTheLastBlockLeavesTheFinalNormsBias() throws {
        let model = try Transformer.load(folder)
        let file = try SafeTensors.read(folder.appendingPathComponent("model.safetensors"))
        let beta = try XCTUnwrap(file["transformer.ln_f.bias"]).doubles()
        let wte = try XCTUnwrap(file["transformer.wte.weight"]).doubles()
        let logits = (0..<4001).map { t in (0..<64).reduce(0.0) { $0 + beta[$1] * wte[t * 64 + $1] } }
        let top = logits.max()!
        let z = top + log(logits.reduce(0) { $0 + exp($1 - top) })
        let targets = contexts.flatMap { $0.dropFirst() }
        let expected = targets.reduce(0.0) { $0 + z - logits[$1] } / Double(targets.count)
        // A random SAE: the splice need not be good; the ablation baselines do not depend on it.
        var rng = SeededRandom(seed: 3)
        let sae = SparseAutoencoder<Float>(
            architecture: .topk, encoder: rng.normalMatrix(rows: 128, cols: 64, std: 0.1), encoderBias: [Float](repeating: 0, count: 128),
            decoder: rng.normalMatrix(rows: 128, cols: 64, std: 0.1), decoderBias: [Float](repeating: 0, count: 64), k: 8)
        let effect = try LanguageModelEffect.measure(sae, on: source(model, "blocks.1.hook_resid_post"))
        XCTAssertEqual(effect.zeroAblatedLoss, expected, accuracy: 1e-4)
        XCTAssertEqual(effect.errorKeptLoss, effect.cleanLoss, accuracy: 1e-5)
        XCTAssertEqual(
            effect.lossRecovered, (effect.zeroAblatedLoss - effect.splicedLoss) / (effect.zeroAblatedLoss - effect.cleanLoss),
            accuracy: 1e-12)
    }

    /// Special tokens keep their value: with every token special, nothing is replaced.
    func testSpecialTokensAreNotReplaced() throws {
        let model = try Transformer.load(folder)
        let everything = Set(contexts.joined())
        let effect = try LanguageModelEffect.measure(
            SparseAutoencoder(
                architecture: .standard, encoder: Matrix(rows: 8, cols: 64), encoderBias: [Float](repeating: 0, count: 8),
                decoder: Matrix(rows: 8, cols: 64), decoderBias: [Float](repeating: 0, count: 64)),
            on: source(model, "blocks.0.hook_resid_mid", special: everything))
        for loss in [effect.splicedLoss, effect.zeroAblatedLoss, effect.meanAblatedLoss] {
            XCTAssertEqual(loss, effect.cleanLoss, accuracy: 1e-6)
        }
    }

    func testASpliceInsideAttentionIsRefused() throws {
        let model = try Transformer.load(folder)
        XCTAssertThrowsError(try model.run(contexts: contexts, keeping: ["logits"], splicing: [HookSplice("blocks.0.attn.hook_z") { $0 }]))
        {
            XCTAssertTrue("\($0)".contains("a splice replaces a block's hook_resid_pre/mid/post"), "\($0)")
        }
    }

    /// An SAE on a hook point the model cannot splice (inside attention) is still measured on its
    /// activations; the report says why the model's loss is missing.
    func testTheReportOfAnSAEInsideAttentionSaysWhyTheLossIsMissing() throws {
        let model = try Transformer.load(folder)
        let source = try source(model, "blocks.0.attn.hook_z")
        let report = try SAEAnalysis.analyse(exactSAE(source.dimension), on: source)
        XCTAssertNil(report.metrics.languageModel)
        XCTAssertEqual(report.metrics.fvu, 0, accuracy: 1e-6)
        XCTAssertTrue(
            report.figures.caveats.contains {
                $0.text.contains("language model: not measured") && $0.text.contains("not blocks.0.attn.hook_z")
            },
            "\(report.figures.caveats)")
    }
}
