import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// SAEs on a transformer's hook point, read from --text: what `loupe sae train` records in the
/// cfg.json, in the layout SAELens itself writes (Tests/Fixtures/sparse/lm), and `loupe sae
/// encode` taking the hook from the SAE (its hook_name) when --layer is not given.
final class SAETextTests: XCTestCase {
    let gpt2 = fixtures.appendingPathComponent("transformers/gpt2").path
    let llama = fixtures.appendingPathComponent("transformers/llama").path
    let hook = "blocks.0.hook_resid_post"

    func config(_ directory: URL) throws -> [String: Any] {
        try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("cfg.json"))) as? [String: Any])
    }

    func corpus(in dir: URL) throws {
        let lines = try String(contentsOf: fixtures.appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).prefix(80)
        try lines.joined(separator: "\n").write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
    }

    func testTrainedSAERecordsSAELensFieldsAndEncodesWithItsHook() throws {
        let dir = try temporaryDirectory(self)
        try corpus(in: dir)
        let train = try LoupeProcess.run(
            [
                "sae", "train", gpt2, "--text", "c.txt", "--layer", hook, "--max-tokens", "200", "--ctx", "24", "-a", "topk", "--k", "4",
                "--d-sae", "64", "--steps", "20", "--no-eval", "--out", "sae"
            ], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)

        // The keys SAELens 6.54 wrote for its own top-k SAE on this hook, with Loupe's values.
        let written = try config(dir.appendingPathComponent("sae"))
        let saelens = try config(fixtures.appendingPathComponent("sparse/lm/topk"))
        XCTAssertEqual(Set(saelens.keys).subtracting(written.keys), [], "top-level keys SAELens writes")
        let metadata = try XCTUnwrap(written["metadata"] as? [String: Any])
        let saelensMetadata = try XCTUnwrap(saelens["metadata"] as? [String: Any])
        XCTAssertEqual(
            Set(saelensMetadata.keys).subtracting(metadata.keys), ["sae_lens_training_version"], "metadata keys SAELens writes")
        XCTAssertEqual(metadata["hook_name"] as? String, hook)
        XCTAssertEqual(metadata["model_name"] as? String, gpt2)
        XCTAssertEqual(metadata["context_size"] as? Int, 24)
        XCTAssertEqual(metadata["prepend_bos"] as? Bool, false, "the GPT-2's tokenizer adds no BOS")
        XCTAssertEqual(written["normalize_activations"] as? String, "none")
        XCTAssertEqual(written["architecture"] as? String, "topk")
        XCTAssertEqual(written["k"] as? Int, 4)
        for (key, value) in saelens where !["metadata", "k", "d_in", "d_sae"].contains(key) {
            XCTAssertEqual("\(written[key]!)", "\(value)", key)
        }

        // No --layer: the SAE's hook_name; the codes are the SAE's on that hook point's rows.
        let encode = try LoupeProcess.run(
            ["sae", "encode", "sae", gpt2, "--text", "c.txt", "--max-tokens", "200", "--ctx", "24", "--out", "codes.npy"], in: dir)
        XCTAssertEqual(encode.status, 0, encode.stderr)
        let forward = try LoupeProcess.run(
            ["forward", gpt2, "--text", "c.txt", "--layer", hook, "--ctx", "24", "--out", "acts.npy"], in: dir)
        XCTAssertEqual(forward.status, 0, forward.stderr)
        let acts: Matrix<Float> = try NPY.read(dir.appendingPathComponent("acts.npy")).matrix().rows(in: 0..<200)
        let codes: Matrix<Float> = try NPY.read(dir.appendingPathComponent("codes.npy")).matrix()
        let sae = try SAEFile.load(dir.appendingPathComponent("sae")).sae
        XCTAssertEqual(codes.rows, 200)
        XCTAssertEqual((sae.encode(acts).dense - codes).maxAbs(), 0, accuracy: 1e-5)
        XCTAssertGreaterThan(codes.maxAbs(), 0)
        // The recorded checkpoint stands in for CHECKPOINT.
        let recorded = try LoupeProcess.run(
            ["sae", "encode", "sae", "--text", "c.txt", "--max-tokens", "200", "--ctx", "24", "--out", "again.npy"], in: dir)
        XCTAssertEqual(recorded.status, 0, recorded.stderr)
        XCTAssertEqual(try NPY.read(dir.appendingPathComponent("again.npy")).matrix() as Matrix<Float>, codes)

        // An SAE SAELens wrote for this hook: its hook_name is the layer too.
        let gated = try LoupeProcess.run(
            [
                "sae", "encode", fixtures.appendingPathComponent("sparse/lm/gated").path, gpt2, "--text", "c.txt", "--max-tokens", "50",
                "--out", "gated.npy"
            ], in: dir)
        XCTAssertEqual(gated.status, 0, gated.stderr)
        XCTAssertEqual(try NPY.read(dir.appendingPathComponent("gated.npy")).shape, [50, 128])
        try LoupeProcess.refuses(
            ["sae", "encode", fixtures.appendingPathComponent("sparse/standard").path, gpt2, "--text", "c.txt", "--out", "x.npy"], in: dir,
            ["missing --layer"])
    }

    /// A checkpoint whose tokenizer starts every text with BOS records prepend_bos true.
    func testPrependBOSIsRecorded() throws {
        let dir = try temporaryDirectory(self)
        try corpus(in: dir)
        let train = try LoupeProcess.run(
            [
                "sae", "train", llama, "--text", "c.txt", "--layer", hook, "--max-tokens", "64", "-a", "topk", "--k", "2", "--d-sae", "16",
                "--steps", "2", "--no-eval", "--out", "sae"
            ], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        let metadata = try XCTUnwrap(try config(dir.appendingPathComponent("sae"))["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["prepend_bos"] as? Bool, true)
        XCTAssertEqual(metadata["context_size"] as? Int, 128, "the default context of a rotary model")
    }
}
