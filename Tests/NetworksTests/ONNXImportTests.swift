import Foundation
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// Models exported by torch.onnx.export opened as Loupe networks, against torch's outputs
/// (Tests/Fixtures/networks/make_onnx_fixtures.py), and the ONNX files Loupe must refuse.
final class ONNXImportTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/onnx")

    private func model(_ name: String) -> URL { Self.folder.appendingPathComponent("\(name).onnx") }

    func testExportedModelsComputeWhatTorchComputes() throws {
        let expected = try SafeTensors.read(Self.folder.appendingPathComponent("expected.safetensors"))
        // erf-ts is erf's model through torch's older exporter.
        for name in ["mlp", "cnn", "graph", "matmul", "erf", "erf-ts", "embedding"] {
            let net = try NetworkFile.load(model(name))
            let fixture = name == "erf-ts" ? "erf" : name
            let x: Matrix<Float> = try XCTUnwrap(expected.tensors["\(fixture).x"]).matrix()
            let logits = try XCTUnwrap(expected.tensors["\(fixture).logits"]).doubles()
            assertClose(net.forward(x).storage.map(Double.init), logits, 1e-4, name)
            // Imported once and saved, it opens as a Loupe model and computes the same.
            let saved = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-onnx-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: saved) }
            try NetworkFile.save(net, to: saved)
            XCTAssertEqual(try NetworkFile.load(saved).forward(x), net.forward(x), name)
        }
    }

    /// The graph's residual add, concat, gate, layernorm and GELU arrive as Loupe layers that
    /// read the layers the ONNX nodes read; a chain needs no inputs.
    func testGraphStructureSurvives() throws {
        let graph = try NetworkFile.load(model("graph"))
        let kinds = graph.layers.map(\.operation.kind)
        for kind in ["add", "concat", "mul", "layernorm", "gelu", "sigmoid", "avgpool2d", "permute"] {
            XCTAssertTrue(kinds.contains(kind), "\(kind) in \(kinds)")
        }
        XCTAssertFalse(graph.isChain)
        let mlp = try NetworkFile.load(model("mlp"))
        XCTAssertTrue(mlp.isChain)
        XCTAssertEqual(mlp.layers.map(\.operation.kind), ["linear", "relu", "linear", "gelu", "linear"])
        // A MatMul's Add becomes its bias; an Identity is looked through.
        let matmul = try NetworkFile.load(model("matmul"))
        XCTAssertEqual(matmul.layers.map(\.name), ["fc1", "tanh", "fc2"])
        XCTAssertEqual(matmul.layers[0].tensorNames, ["fc1.weight", "fc1.bias"])
    }

    /// GELU spelled out in arithmetic (opset < 20, both of torch's exporters' orders) and SiLU
    /// as x · Sigmoid(x) arrive as one layer each; a Gather of a table by the ids, as an embedding.
    func testSpelledOutActivationsAndEmbeddingsBecomeLayers() throws {
        for name in ["erf", "erf-ts"] {
            XCTAssertEqual(
                try NetworkFile.load(model(name)).layers.map(\.operation.kind), ["linear", "gelu", "linear", "silu", "linear"], name)
        }
        let embedded = try NetworkFile.load(model("embedding"))
        XCTAssertEqual(embedded.layers.map(\.operation.kind), ["embedding", "reshape", "linear"])
        XCTAssertEqual(embedded.layers[0].outputShape, [5, 4])
        // Arithmetic that only starts like GELU is refused where it stops being it.
        assertThrowsMessage(
            try NetworkFile.load(model("not-gelu")),
            contains: ["not-gelu.onnx: node 'erf' (Erf): Erf of 'd' is arithmetic Loupe maps only where it spells GELU"])
        assertThrowsMessage(
            try NetworkFile.load(model("half-gelu")),
            contains: [
                "half-gelu.onnx: node 'fc' (MatMul): input 'e' is a step of arithmetic (x/√2, Erf, …) that Loupe reads only as a whole GELU"
            ])
    }

    func testUnsupportedOperatorIsRefusedNamingTheNode() throws {
        XCTAssertThrowsError(try NetworkFile.load(model("unsupported"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("unsupported.onnx: node 'node_cumsum' (CumSum): operator CumSum (inputs "), text)
            XCTAssertTrue(text.contains("is not supported; supported: Add,"), text)
            XCTAssertFalse(text.contains("\n"))
        }
    }

    /// Every prefix of a model is refused in one line (or, cut where a whole model ends, read).
    func testTruncatedFilesAreRefused() throws {
        let bytes = try Data(contentsOf: model("graph"))
        let dir = try temporaryDirectory(self)
        var refused = 0
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            let url = dir.appendingPathComponent("cut-\(length).onnx")
            try bytes.prefix(length).write(to: url)
            do {
                _ = try NetworkFile.load(url)
            } catch {
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
                XCTAssertTrue("\(error)".hasPrefix(url.path), "\(error)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 90)
        let url = dir.appendingPathComponent("half.onnx")
        try bytes.prefix(bytes.count / 2).write(to: url)
        XCTAssertThrowsError(try NetworkFile.load(url)) { XCTAssertTrue("\($0)".contains("not a readable ONNX model"), "\($0)") }
    }
}
