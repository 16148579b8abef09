import Foundation
import LinAlg
import TensorIO
import TestSupport
import Transformers
import XCTest

/// Float32 weights are read in place from the checkpoint's memory-mapped file; others are
/// converted once. Both paths give the same model.
final class WeightStorageTests: XCTestCase {
    let folder = fixtures.appendingPathComponent("transformers")

    /// The BERT fixture stores float32: every matrix is read in place. The GPT-2 fixture stores
    /// float16: every matrix is converted.
    func testFloat32WeightsAreReadInPlace() throws {
        let bert = try Transformer.load(folder.appendingPathComponent("bert"))
        let file = try SafeTensors.read(folder.appendingPathComponent("bert/model.safetensors"))
        // The matrices (the vectors — biases, norms, the token-type row — are small copies).
        let matrices = file.tensors.filter { $0.value.shape.count == 2 && !$0.key.contains("token_type") }
        XCTAssertEqual(bert.weightsInPlace, matrices.values.reduce(0) { $0 + $1.elementCount })
        XCTAssertEqual(bert.weightsConverted, 0)
        let gpt2 = try Transformer.load(folder.appendingPathComponent("gpt2"))
        XCTAssertEqual(gpt2.weightsInPlace, 0)
        XCTAssertGreaterThan(gpt2.weightsConverted, 0)
    }

    /// The same weights stored as float64 (each float32 value exactly) are converted instead of
    /// mapped: every hook point and the logits are identical, bit for bit.
    func testMappedAndConvertedWeightsGiveTheSameModel() throws {
        let dir = try temporaryDirectory(self)
        for name in ["config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(
                at: folder.appendingPathComponent("bert/\(name)"), to: dir.appendingPathComponent(name))
        }
        let file = try SafeTensors.read(folder.appendingPathComponent("bert/model.safetensors"))
        let widened = file.tensors.mapValues { Tensor($0.doubles(), shape: $0.shape) }
        try SafeTensors.write(SafeTensorsFile(tensors: widened), to: dir.appendingPathComponent("model.safetensors"))
        let (mapped, converted) = (try Transformer.load(folder.appendingPathComponent("bert")), try Transformer.load(dir))
        XCTAssertEqual(converted.weightsInPlace, 0)
        XCTAssertEqual(converted.weightsConverted, mapped.weightsInPlace)
        let hooks = Set(mapped.hookPoints.map(\.name))
        let ids = try XCTUnwrap(mapped.tokenizer).encode("Weights read where they lie, or converted once.", addSpecialTokens: true)
        let (a, b) = (try mapped.run(ids, keeping: hooks), try converted.run(ids, keeping: hooks))
        for hook in hooks { XCTAssertEqual(a.hooks[hook], b.hooks[hook], hook) }
    }
}
