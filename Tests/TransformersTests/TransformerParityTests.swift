import Foundation
import LinAlg
import TensorIO
import TestSupport
import Tokenizers
import Transformers
import XCTest

/// Random GPT-2, BERT (masked LM), Llama (grouped-query; and with Llama 3.1's rope scaling) and
/// Qwen2 (q/k/v biases) checkpoints
/// saved by transformers: on 8 texts their tokenizer.json gives transformers' ids, and every
/// hook point and the last token's logits equal what transformers computes (in float64), to 1e-4 relative
/// (Tests/Fixtures/transformers/make_transformer_fixtures.py).
final class TransformerParityTests: XCTestCase {
    static let folder = fixtures.appendingPathComponent("transformers")
    static let expected = try! SafeTensors.read(folder.appendingPathComponent("expected.safetensors"))
    static let texts = try! JSONDecoder().decode([String].self, from: Data(expected.metadata["texts"]!.utf8))

    /// ‖got − want‖ ≤ 1e-4·‖want‖ over the whole tensor: float32 arithmetic (torch's as much as
    /// Loupe's) is off the float64 reference by about 1e-4 of the largest value on a few hooks.
    func assertClose(_ got: Matrix<Float>, _ want: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let w = want.floats()
        XCTAssertEqual(got.count, w.count, "\(what): \(got.shapeDescription) against \(want.shape)", file: file, line: line)
        guard got.count == w.count else { return }
        let norm = w.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let error = zip(got.storage, w).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        XCTAssertLessThanOrEqual(error, 1e-4 * max(norm, 1e-6), "\(what): ‖difference‖ \(error), ‖value‖ \(norm)", file: file, line: line)
    }

    func check(_ name: String, hooks: Int) throws {
        let model = try Transformer.load(Self.folder.appendingPathComponent(name))
        let tokenizer = try XCTUnwrap(model.tokenizer)
        for (t, text) in Self.texts.enumerated() {
            let prefix = "\(name).\(t)."
            let ids = try Self.expected.tensors[prefix + "ids"]!.int64s().map(Int.init)
            XCTAssertEqual(try tokenizer.encode(text), ids, "\(name): ids of \(text)")
            let names = Self.expected.tensors.keys.filter { $0.hasPrefix(prefix) && $0 != prefix + "ids" }.map {
                String($0.dropFirst(prefix.count))
            }
            XCTAssertEqual(names.count, hooks, name)
            let run = try model.run(ids, keeping: Set(names))
            for hook in names where hook != "logits" {
                assertClose(
                    try XCTUnwrap(run.hooks[hook], "\(name) \(hook)"), Self.expected.tensors[prefix + hook]!, "\(name) text \(t) \(hook)")
            }
            let logits = try XCTUnwrap(run.hooks["logits"])
            assertClose(logits.rows(in: (ids.count - 1)..<ids.count), Self.expected.tensors[prefix + "logits"]!, "\(name) text \(t) logits")
        }
    }

    func testGPT2() throws { try check("gpt2", hooks: 26) }
    func testBERTMaskedLM() throws { try check("bert", hooks: 26) }
    func testLlamaWithGroupedQueryAttention() throws { try check("llama", hooks: 25) }
    func testQwen2WithQKVBiases() throws { try check("qwen2", hooks: 25) }
    func testLlama31RopeScaling() throws { try check("llama31", hooks: 25) }
}
