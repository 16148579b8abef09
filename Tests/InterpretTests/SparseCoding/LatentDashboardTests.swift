import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import Transformers
import XCTest

/// A latent planted to fire on one token of the random test GPT-2's embedding: its dashboard
/// must find that token wherever it is, and nothing else.
final class LatentDashboardTests: XCTestCase {
    let folder = fixtures.appendingPathComponent("transformers/gpt2")
    // Token 12 follows 5, 5, 900 and 7 (twice); 4000 is special (never counted).
    let contexts = [[4000, 5, 12, 33, 44, 7, 12], [900, 12, 8, 8, 8], [61, 62, 63], [4000, 5, 12, 7, 12, 70, 71, 72, 73, 74, 75, 76]]

    func testAPlantedLatentFiresOnItsTokenOnly() throws {
        let model = try Transformer.load(folder)
        let file = try SafeTensors.read(folder.appendingPathComponent("model.safetensors"))
        let wte = try XCTUnwrap(file["transformer.wte.weight"]).doubles()
        let planted = (0..<64).map { Float(wte[12 * 64 + $0]) }
        let norm = planted.reduce(0) { $0 + $1 * $1 }
        // Latent 1: e₁₂ · x − ‖e₁₂‖²/2 through a ReLU: positive only where x is token 12's embedding.
        var encoder = Matrix<Float>(rows: 3, cols: 64), decoder = Matrix<Float>(rows: 3, cols: 64)
        encoder.setRow(1, planted)
        decoder.setRow(1, planted)
        let sae = SparseAutoencoder(
            architecture: .standard, encoder: encoder, encoderBias: [-1, -norm / 2, -1], decoder: decoder,
            decoderBias: [Float](repeating: 0, count: 64))
        let values = try XCTUnwrap(model.run(contexts: contexts, keeping: ["hook_embed"]).hooks["hook_embed"])
        let source = TextHookSource(name: "test", values: values, model: model, hook: "hook_embed", contexts: contexts, special: [4000])
        let dashboard = try XCTUnwrap(LatentDashboard.compute(sae, latents: [1], on: source).first)
        let counted = contexts.joined().filter { $0 != 4000 }
        XCTAssertEqual(dashboard.density, 5 / Double(counted.count), accuracy: 1e-12)
        XCTAssertEqual(dashboard.maxActivation, Double(norm / 2), accuracy: 1e-6)
        XCTAssertEqual(dashboard.histogram.reduce(0, +), 5)
        // The top band: the three contexts with token 12, each excerpt centred on one of them.
        let top = dashboard.bands[0]
        XCTAssertEqual(top.contexts, 3)
        XCTAssertEqual(Set(top.excerpts.map(\.context)), [0, 1, 3])
        for e in top.excerpts { XCTAssertEqual(contexts[e.context][e.position], 12) }
        // The tokens before a firing, by count.
        XCTAssertEqual(dashboard.preceding.map(\.token), [5, 7, 900])
        XCTAssertEqual(dashboard.preceding.map(\.value), [2, 2, 1])
        // Promoted: W_te · e₁₂ from the file, largest first.
        let effect = (0..<4001).map { t in (0..<64).reduce(0.0) { $0 + wte[t * 64 + $1] * Double(planted[$1]) } }
        let expected = effect.indices.sorted { effect[$0] > effect[$1] }
        XCTAssertEqual(dashboard.promoted.map(\.token), Array(expected.prefix(LatentDashboard.listed)))
        XCTAssertEqual(dashboard.suppressed.map(\.token), Array(expected.reversed().prefix(LatentDashboard.listed)))
        XCTAssertEqual(dashboard.promoted[0].value, effect[expected[0]], accuracy: 1e-5)
    }
}
