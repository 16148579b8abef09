import Foundation
import LinAlg
import Networks
import TensorIO
import XCTest

/// Layer normalisation as torch computes it, forward and backward, over a whole flat sample,
/// over all of [C, H, W] and over the last axis alone, with and without weight and bias
/// (Tests/Fixtures/networks/make_norm_fixtures.py made the fixture).
final class LayerNormParityTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/norms.safetensors")

    func testForwardBackwardAndParameterGradients() throws {
        let file = try SafeTensors.read(Self.file)
        func matrix(_ name: String) throws -> Matrix<Double> { try XCTUnwrap(file.tensors[name], "no \(name)").matrix() }
        let direction = try matrix("direction")
        for name in ["mlp", "cnn"] {
            let spec = try ArchitectureSpec.decode(Data(try XCTUnwrap(file.metadata["\(name).arch"]).utf8), source: name)
            let loaded = try NetworkFile.build(spec, tensors: file.tensors, source: name)
            let net = loaded.converted(to: Double.self)
            let x = try matrix("\(name).x")
            let trace = net.trace(x)
            assertClose(trace[trace.count - 1].storage, try matrix("\(name).logits").storage, 1e-10, "\(name) logits")
            let (input, parameters) = net.backward(trace: trace, gradient: direction)
            assertClose(input.storage, try matrix("\(name).input_grad").storage, 1e-10, "\(name) input gradient")
            for slot in net.parameterSlots {
                let key = String(slot.tensorName.dropFirst(name.count + 1))
                let expected = try XCTUnwrap(file.tensors["\(name).grad.\(key)"], "no gradient for \(slot.tensorName)").doubles()
                assertClose(Array(parameters[slot.range]), expected, 1e-9, "\(name) gradient of \(slot.tensorName)")
            }
            // Saved with its architecture and read back, it computes the same.
            let again = try NetworkFile.build(NetworkFile.architecture(of: loaded), tensors: file.tensors, source: name)
            XCTAssertEqual(again.forward(x.converted(to: Float.self)), loaded.forward(x.converted(to: Float.self)), name)
        }
    }

    /// As torch starts one: weight 1, bias 0.
    func testUntrainedLayerNormIsTheIdentityMap() throws {
        var ln = LayerSpec(name: "ln", kind: "layernorm", weight: "ln.w", bias: "ln.b")
        ln.normalizedShape = [6]
        var fc = LayerSpec(name: "fc", kind: "linear", weight: "fc.w", bias: "fc.b")
        fc.out = 6
        let net = try NetworkFile.untrained(ArchitectureSpec(name: "n", input: InputSpec(shape: [4]), layers: [fc, ln]), seed: 3)
        XCTAssertEqual(net.layers[1].parameters.map(\.values), [[Float](repeating: 1, count: 6), [Float](repeating: 0, count: 6)])
    }

    func testBadLayerNormsAreRefused() throws {
        for (layer, message) in [
            (#"{"name": "n", "kind": "layernorm", "normalized_shape": [3]}"#, "must be the last axes of its input [2, 3, 4]"),
            (#"{"name": "n", "kind": "layernorm", "normalized_shape": [3, 4], "eps": 0}"#, "eps must be a positive number"),
            (#"{"name": "n", "kind": "layernorm", "normalized_shape": [2, 3, 4, 5]}"#, "must be the last axes")
        ] {
            try assertLayerRefused(layer, input: [2, 3, 4], message)
        }
        let spec = ArchitectureSpec(
            name: "m", input: InputSpec(shape: [4]), layers: [LayerSpec(name: "n", kind: "layernorm", weight: "n.w")])
        XCTAssertThrowsError(
            try NetworkFile.build(spec, tensors: ["n.w": Tensor([Float](repeating: 1, count: 3), shape: [3])], source: "m")
        ) { XCTAssertTrue("\($0)".contains("tensor 'n.w' has shape [3], expected [4]"), "\($0)") }
    }
}
