import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// A gated SAE as `loupe sae train -a gated` writes it: in the layout SAELens 6.54 wrote for its
/// own gated SAE (Tests/Fixtures/sparse/lm/gated), read back as the same SAE, saved again
/// unchanged, and coding the activations as `loupe sae encode` does.
final class SAEGatedTests: XCTestCase {
    func testTrainedGatedSAEIsSavedAsSAELensDoesAndReloadsUnchanged() throws {
        let dir = try temporaryDirectory(self)
        let synth = try LoupeProcess.run(
            ["sae", "synth", "--samples", "600", "--dim", "16", "--features", "32", "--active", "3", "--out", "s.npy"], in: dir)
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let train = try LoupeProcess.run(
            [
                "sae", "train", "--acts", "s.npy", "-a", "gated", "--d-sae", "64", "--steps", "40", "--batch", "128", "--no-eval", "--out",
                "sae"
            ],
            in: dir, timeout: 300)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("trained gated SAE"), train.stdout)
        let saeURL = dir.appendingPathComponent("sae")

        // cfg.json: every key SAELens wrote for its gated SAE, and "gated".
        func config(_ url: URL) throws -> [String: Any] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url.appendingPathComponent("cfg.json"))) as? [String: Any])
        }
        let written = try config(saeURL)
        let saelens = try config(fixtures.appendingPathComponent("sparse/lm/gated"))
        XCTAssertEqual(written["architecture"] as? String, "gated")
        XCTAssertEqual(Set(saelens.keys).subtracting(written.keys), [], "top-level keys SAELens writes")
        // The tensors: SAELens's names (no b_enc), at Loupe's sizes.
        let weights = try SafeTensors.read(saeURL.appendingPathComponent("sae_weights.safetensors"))
        let reference = try SafeTensors.read(fixtures.appendingPathComponent("sparse/lm/gated/sae_weights.safetensors"))
        XCTAssertEqual(Set(weights.tensors.keys), Set(reference.tensors.keys))
        XCTAssertEqual(
            weights.tensors.mapValues(\.shape),
            ["W_enc": [16, 64], "b_gate": [64], "r_mag": [64], "b_mag": [64], "W_dec": [64, 16], "b_dec": [16]])
        XCTAssertTrue(weights.tensors.values.allSatisfy { $0.dtype == .f32 })
        // Training moved the gated parameters away from SAELens's zero initialisation.
        for name in ["b_gate", "r_mag", "b_mag"] {
            XCTAssertGreaterThan(weights[name]!.floats().map(abs).max() ?? 0, 1e-3, name)
        }

        // The reloaded SAE codes the activations as `loupe sae encode` did.
        let encode = try LoupeProcess.run(["sae", "encode", "sae", "--acts", "s.npy", "--out", "codes.npy"], in: dir)
        XCTAssertEqual(encode.status, 0, encode.stderr)
        let x: Matrix<Float> = try NPY.read(dir.appendingPathComponent("s.npy")).matrix()
        let cliCodes: Matrix<Float> = try NPY.read(dir.appendingPathComponent("codes.npy")).matrix()
        let (sae, info) = try SAEFile.load(saeURL)
        XCTAssertEqual(sae.architecture, .gated)
        let codes = sae.encode(x)
        XCTAssertGreaterThan(Double(codes.nonzeroCount) / 600, 0.5)
        XCTAssertEqual((codes.dense - cliCodes).maxAbs(), 0, accuracy: 1e-6)

        // Saved again, it is the same file content and the same codes.
        let again = dir.appendingPathComponent("again")
        try SAEFile.save(sae, info: info ?? SAEFileInfo(), to: again)
        let resaved = try SafeTensors.read(again.appendingPathComponent("sae_weights.safetensors"))
        for (name, tensor) in weights.tensors { XCTAssertEqual(resaved[name]?.floats(), tensor.floats(), name) }
        let reloaded = try SAEFile.load(again).sae
        XCTAssertEqual(reloaded.encode(x), codes)
        XCTAssertEqual(reloaded.decode(codes), sae.decode(codes))

        // A gated file without r_mag is refused in one line naming the file and the tensor.
        var missing = weights
        missing.tensors["r_mag"] = nil
        try SafeTensors.write(missing, to: saeURL.appendingPathComponent("sae_weights.safetensors"))
        try LoupeProcess.refuses(
            ["sae", "encode", "sae", "--acts", "s.npy", "--out", "c2.npy"], in: dir, ["sae_weights.safetensors", "no tensor 'r_mag'"])
    }
}
