import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// SAEs on a language model as SAELens 6.54 writes and reads them
/// (Tests/Fixtures/sparse/lm/make_lm_fixtures.py): every architecture, gated included, configs of
/// SAELens 6 and of SAELens 5, and an unfolded expected_average_only_in checkpoint, each coding the
/// test GPT-2's blocks.0.hook_resid_post as SAELens codes it.
extension SAEFileTests {
    var lmDirectory: URL { directory.appendingPathComponent("lm") }

    func testLanguageModelSAEsEncodeAndDecodeAsSAELens() throws {
        let expected = try SafeTensors.read(lmDirectory.appendingPathComponent("expected.safetensors"))
        let x: Matrix<Float> = expected["x"]!.matrix()
        XCTAssertEqual(x.rows, 32)
        let architectures: [String: SAEArchitecture] = [
            "standard": .standard, "topk": .topk, "jumprelu": .jumprelu, "gated": .gated, "gated_no_b_dec_input": .gated,
            "scaled": .standard, "saelens5_standard": .standard, "saelens5_topk": .topk
        ]
        for (name, architecture) in architectures {
            let (sae, info) = try SAEFile.load(lmDirectory.appendingPathComponent(name))
            XCTAssertEqual(sae.architecture, architecture, name)
            XCTAssertEqual(sae.appliesDecoderBiasToInput, name != "gated_no_b_dec_input", name)
            XCTAssertEqual(sae.k, architecture == .topk ? 8 : 0, name)
            XCTAssertEqual(
                info?.saeLens,
                SAELensMetadata(
                    modelName: "Tests/Fixtures/transformers/gpt2", hookName: "blocks.0.hook_resid_post", contextSize: 16, prependBOS: false),
                name)
            XCTAssertNil(info?.model, "\(name): SAELens's model_name is not a Loupe model")
            let codes: Matrix<Float> = expected["\(name).codes"]!.matrix()
            let reconstruction: Matrix<Float> = expected["\(name).reconstruction"]!.matrix()
            XCTAssertGreaterThan(codes.maxAbs(), 0.05, name)
            let encoded = sae.encode(x)
            assertClose(encoded.dense, codes, "\(name) encode")
            assertClose(sae.decode(encoded), reconstruction, "\(name) decode")
            assertClose(sae.decode(dense: codes), reconstruction, "\(name) decode of SAELens's codes")
        }
    }

    /// The scale in activation_scaler.json is folded in: without it the codes would be SAELens's
    /// unfolded encode, which differs (the fixture's factor is 0.37).
    func testTheActivationScalerIsFoldedAndNormalisationsPerSampleAreRefused() throws {
        let dir = try temporaryDirectory(self)
        let scaled = dir.appendingPathComponent("scaled")
        try FileManager.default.copyItem(at: lmDirectory.appendingPathComponent("scaled"), to: scaled)
        let folded = try SAEFile.load(scaled).sae
        let scaler = scaled.appendingPathComponent("activation_scaler.json")
        try Data(#"{"scaling_factor": 1}"#.utf8).write(to: scaler)
        let unfolded = try SAEFile.load(scaled).sae
        XCTAssertEqual(folded.encoder.storage.first.map { $0 / 0.37 } ?? 0, unfolded.encoder.storage.first ?? 1, accuracy: 1e-6)

        try Data(#"{"scaling_factor": -2}"#.utf8).write(to: scaler)
        assertThrowsMessage(try SAEFile.load(scaled), contains: ["activation_scaler.json", "'scaling_factor' must be a positive number"])
        try FileManager.default.removeItem(at: scaler)
        assertThrowsMessage(
            try SAEFile.load(scaled), contains: ["cfg.json", "expected_average_only_in", "no activation_scaler.json", "norm_scaling_factor"]
        )

        let config = scaled.appendingPathComponent("cfg.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        for value in ["layer_norm", "constant_norm_rescale", "covariance_whitening"] {
            try text.replacingOccurrences(of: "expected_average_only_in", with: value).write(to: config, atomically: true, encoding: .utf8)
            assertThrowsMessage(try SAEFile.load(scaled), contains: ["cfg.json", "normalize_activations '\(value)' is not supported"])
        }
        try text.replacingOccurrences(of: #""expected_average_only_in""#, with: "3").write(to: config, atomically: true, encoding: .utf8)
        assertThrowsMessage(try SAEFile.load(scaled), contains: ["cfg.json", "'normalize_activations' must be a string"])
    }

    /// A gated SAE's tensors are checked like every other's.
    func testGatedTensorsAreChecked() throws {
        let dir = try temporaryDirectory(self)
        let gated = dir.appendingPathComponent("gated")
        try FileManager.default.copyItem(at: lmDirectory.appendingPathComponent("gated"), to: gated)
        let weights = gated.appendingPathComponent("sae_weights.safetensors")
        var file = try SafeTensors.read(weights)
        file.tensors["r_mag"] = Tensor([Float](repeating: 200, count: 128), shape: [128])
        try SafeTensors.write(file, to: weights)
        assertThrowsMessage(try SAEFile.load(gated), contains: ["sae_weights.safetensors", "'r_mag'", "latent 0", "not a finite Float32"])
        for name in ["r_mag", "b_mag"] {
            var missing = file
            missing.tensors[name] = nil
            try SafeTensors.write(missing, to: weights)
            assertThrowsMessage(try SAEFile.load(gated), contains: ["sae_weights.safetensors", "no tensor '\(name)'"])
        }
        file.tensors["b_gate"] = nil
        try SafeTensors.write(file, to: weights)
        assertThrowsMessage(try SAEFile.load(gated), contains: ["sae_weights.safetensors", "no tensor 'b_gate'"])
    }

    /// An old config whose activation_fn is top-k but that gives no k is refused, not read as ReLU.
    func testATopKActivationWithoutKIsRefused() throws {
        let dir = try temporaryDirectory(self)
        let sae = dir.appendingPathComponent("old")
        try FileManager.default.copyItem(at: lmDirectory.appendingPathComponent("saelens5_topk"), to: sae)
        let config = sae.appendingPathComponent("cfg.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: #""activation_fn_kwargs": {"k": 8}"#, with: #""activation_fn_kwargs": {}"#)
            .write(to: config, atomically: true, encoding: .utf8)
        assertThrowsMessage(try SAEFile.load(sae), contains: ["cfg.json", "activation_fn 'topk' needs activation_fn_kwargs.k"])
    }
}
