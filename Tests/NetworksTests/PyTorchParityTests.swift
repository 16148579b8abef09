import Foundation
import LinAlg
import Networks
import TensorIO
import XCTest

/// Models trained and saved by PyTorch load and give PyTorch's logits (docs/formats.md). The
/// fixtures and the script that made them are in Tests/Fixtures/networks (make_fixtures.py).
final class PyTorchParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks")

    func fixture(_ name: String) -> URL { Self.fixtures.appendingPathComponent(name) }

    /// Inputs and expected logits: "<model>.x", "<model>.logits" (float32 torch) and
    /// "<model>.logits_f64" (the same weights in float64).
    func expected(_ model: String) throws -> (x: Matrix<Float>, logits: Matrix<Float>, logits64: Matrix<Double>) {
        let file = try SafeTensors.read(fixture("inputs_and_logits.safetensors"))
        let x = try XCTUnwrap(file.tensors["\(model).x"], "no \(model).x")
        let logits = try XCTUnwrap(file.tensors["\(model).logits"], "no \(model).logits")
        let logits64 = try XCTUnwrap(file.tensors["\(model).logits_f64"], "no \(model).logits_f64")
        XCTAssertEqual(x.dtype, .f32)
        XCTAssertEqual(logits.shape, [6, 10])
        XCTAssertEqual(logits64.dtype, .f64)
        return (x.matrix(Float.self), logits.matrix(Float.self), logits64.matrix(Double.self))
    }

    /// |a − b| ≤ tolerance · max(1, |b|) for every element.
    func assertClose<A: BLASScalar, B: BLASScalar>(
        _ actual: Matrix<A>, _ expected: Matrix<B>, tolerance: Double = 1e-5, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard actual.rows == expected.rows, actual.cols == expected.cols else {
            XCTFail("\(what): shape \(actual.shapeDescription), expected \(expected.shapeDescription)", file: file, line: line)
            return
        }
        var worst = (error: 0.0, r: 0, c: 0)
        for r in 0..<actual.rows {
            for c in 0..<actual.cols {
                let a = Double(actual[r, c]), b = Double(expected[r, c])
                let error = abs(a - b) / max(1, abs(b))
                if !(error <= worst.error) { worst = (error, r, c) }
            }
        }
        XCTAssert(
            worst.error <= tolerance,
            "\(what): [\(worst.r), \(worst.c)] is \(actual[worst.r, worst.c]), expected \(expected[worst.r, worst.c]) (relative error \(worst.error) > \(tolerance))",
            file: file, line: line)
    }

    /// Loads `safetensors` (with its sidecar, if any) and checks it against torch in Float32 and
    /// Float64, then saves it with the embedded architecture, reloads and checks again.
    @discardableResult
    func checkParity(
        _ model: String, file name: String, arch: String?, layers: Int,
        line: UInt = #line
    ) throws -> Network<Float> {
        let net = try NetworkFile.load(fixture(name), architecture: arch.map(fixture))
        XCTAssertEqual(net.layers.count, layers, "\(name): layers after batchnorm folding", line: line)
        XCTAssertEqual(net.outputSize, 10, line: line)
        XCTAssertEqual(net.classNames, (0..<10).map(String.init), line: line)
        let e = try expected(model)
        XCTAssertEqual(e.x.rows, 6, line: line)
        XCTAssertEqual(e.x.cols, net.inputSize, line: line)

        let logits = net.forward(e.x)
        assertClose(logits, e.logits, "\(name) vs torch float32", line: line)
        assertClose(logits, e.logits64, "\(name) vs torch float64", line: line)
        // The loaded weights in Float64 against torch in float64: this isolates the
        // computation from float32 rounding (batchnorm is folded in Float, hence 1e-5 there).
        let logits64 = net.converted(to: Double.self).forward(e.x.converted(to: Double.self))
        let folded = name.hasPrefix("cnn")
        assertClose(logits64, e.logits64, tolerance: folded ? 1e-5 : 1e-9, "\(name) in Float64 vs torch float64", line: line)
        // trace agrees with forward and has one entry per layer plus the input.
        let trace = net.trace(e.x)
        XCTAssertEqual(trace.count, net.layers.count + 1, line: line)
        XCTAssertEqual(trace.last, logits, line: line)

        // Round trip through Loupe's own (embedded-architecture) form.
        let tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("loupe-parity-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try NetworkFile.save(net, to: tmp)
        let saved = try SafeTensors.read(tmp)
        XCTAssertNotNil(saved.metadata["loupe.arch"], "saved file has an embedded architecture", line: line)
        let reloaded = try NetworkFile.load(tmp)
        XCTAssertEqual(reloaded.layers.count, net.layers.count, line: line)
        XCTAssertEqual(reloaded.layers.map(\.name), net.layers.map(\.name), line: line)
        XCTAssertEqual(reloaded.input, net.input, line: line)
        XCTAssertEqual(reloaded.classes, net.classes, line: line)
        XCTAssertEqual(reloaded.flatParameters, net.flatParameters, "round trip keeps every parameter", line: line)
        XCTAssertEqual(reloaded.forward(e.x), logits, "round trip keeps the logits exactly", line: line)
        return net
    }

    func testMLPWithSidecarArchitecture() throws {
        try checkParity("mlp", file: "mlp.safetensors", arch: "mlp.arch.json", layers: 8)
    }

    func testFusedBilinearWithEmbeddedArchitecture() throws {
        let net = try checkParity("bilinear", file: "bilinear.safetensors", arch: nil, layers: 3)
        XCTAssertEqual(net.layers.map(\.name), ["embed", "bil", "readout"])
    }

    func testSplitBilinearWithSidecarArchitecture() throws {
        try checkParity("bilinear", file: "bilinear_split.safetensors", arch: "bilinear_split.arch.json", layers: 3)
    }

    func testFusedAndSplitBilinearAgree() throws {
        let fused = try NetworkFile.load(fixture("bilinear.safetensors"))
        let split = try NetworkFile.load(fixture("bilinear_split.safetensors"), architecture: fixture("bilinear_split.arch.json"))
        XCTAssertEqual(fused.flatParameters, split.flatParameters, "the halves of the fused weight are the split tensors")
        // Left is the first half of torch's fused weight (the product alone cannot tell).
        let tensors = try SafeTensors.read(fixture("bilinear_split.safetensors")).tensors
        let values = fused.flatParameters
        for (role, tensor) in [
            ("left", "bil.left"), ("right", "bil.right"), ("left_bias", "bil.left_bias"), ("right_bias", "bil.right_bias")
        ] {
            let slot = try XCTUnwrap(fused.parameterSlots.first { $0.layer == 1 && $0.role == role }, "no \(role) in the fused layer")
            XCTAssertEqual(Array(values[slot.range]), try XCTUnwrap(tensors[tensor]).floats(), "fused \(role) is torch's \(tensor)")
        }
        let x = try expected("bilinear").x
        let a = fused.trace(x), b = split.trace(x)
        XCTAssertEqual(a.count, b.count)
        for (i, (u, v)) in zip(a, b).enumerated() {
            assertClose(u, v, tolerance: 1e-6, "fused vs split, trace entry \(i)")
        }
    }

    func testCNNWithFoldedBatchnorm() throws {
        let net = try checkParity("cnn", file: "cnn.safetensors", arch: "cnn.arch.json", layers: 10)
        // The two batchnorms are folded away: their names are gone, the layers' shapes remain.
        XCTAssertEqual(
            net.layers.map(\.name),
            ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2"])
        XCTAssertEqual(try net.shape(of: "conv1"), [6, 8, 8])
        XCTAssertEqual(try net.shape(of: "pool1"), [6, 4, 4])
        XCTAssertEqual(try net.shape(of: "conv2"), [8, 4, 2])
        XCTAssertEqual(try net.shape(of: "pool2"), [8, 2, 1])
        XCTAssertEqual(try net.shape(of: "flatten"), [16])
        XCTAssertEqual(try net.shape(of: "fc1"), [12])
    }
}
