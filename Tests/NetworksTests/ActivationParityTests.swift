import Foundation
import LinAlg
import Networks
import TensorIO
import XCTest

/// SiLU, ELU, leaky ReLU, dropout, adaptive average pooling and dilated convolutions as
/// PyTorch computes them, forward and backward (Tests/Fixtures/networks/
/// make_activation_fixtures.py and make_window_fixtures.py made the fixtures).
final class ActivationParityTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/activations.safetensors")

    func tensor(_ name: String) throws -> Tensor {
        try XCTUnwrap(try SafeTensors.read(Self.file).tensors[name], "no \(name)")
    }

    /// Each activation on a grid over [−5, 5] (0 included), and its derivative.
    func testEachActivationAndItsDerivative() throws {
        let grid: Matrix<Double> = try tensor("grid").matrix()
        let ones = Matrix<Double>(rows: 1, cols: grid.cols, repeating: 1)
        let cases: [(String, Activation)] = [
            ("silu", .silu), ("elu", .elu(alpha: 1)), ("elu_0.7", .elu(alpha: 0.7)),
            ("leaky_relu", .leakyReLU(slope: 0.01)), ("leaky_relu_0.2", .leakyReLU(slope: 0.2))
        ]
        for (key, activation) in cases {
            assertClose(activation.apply(grid).storage, try tensor("grid.\(key)").doubles(), 1e-12, key)
            assertClose(
                activation.backward(input: grid, gradOutput: ones).storage, try tensor("grid.\(key).grad").doubles(), 1e-12,
                "\(key) derivative")
        }
        XCTAssertEqual(Activation.dropout.apply(grid), grid)
    }

    /// The model loads with its embedded architecture (parameters read from the JSON, torch's
    /// defaults where it has none), gives torch's logits in Float32 and Float64, and its
    /// backward pass gives torch's input gradient.
    func testNetworkForwardAndBackward() throws {
        let net = try NetworkFile.load(Self.file)
        XCTAssertEqual(
            net.layers.map(\.operation.kind),
            ["linear", "silu", "linear", "elu", "dropout", "linear", "leaky_relu", "linear", "elu", "linear", "leaky_relu", "linear"])
        guard case .activation(.elu(let alpha)) = net.layers[3].operation,
            case .activation(.leakyReLU(let slope)) = net.layers[10].operation
        else { return XCTFail("activations read as \(net.layers.map(\.operation.kind))") }
        XCTAssertEqual(alpha, 0.7)
        XCTAssertEqual(slope, 0.01)
        let x: Matrix<Float> = try tensor("x").matrix()
        assertClose(net.forward(x).storage.map(Double.init), try tensor("logits").doubles(), 1e-5, "Float32 logits")
        let net64 = net.converted(to: Double.self)
        let x64 = x.converted(to: Double.self)
        let trace = net64.trace(x64)
        assertClose(trace[trace.count - 1].storage, try tensor("logits_f64").doubles(), 1e-10, "Float64 logits")
        let direction: Matrix<Double> = try tensor("direction").matrix()
        let gradient = net64.backward(trace: trace, gradient: direction).input
        assertClose(gradient.storage, try tensor("input_grad").doubles(), 1e-10, "input gradient")
        // Saved with its architecture, it reads back the same.
        let again = try NetworkFile.build(
            NetworkFile.architecture(of: net), tensors: try SafeTensors.read(Self.file).tensors, source: "again")
        XCTAssertEqual(again.forward(x), net.forward(x))
    }

    func testBadParametersAreRefused() throws {
        for (layer, message) in [
            (#"{"name": "a", "kind": "relu", "alpha": 1}"#, "alpha belongs to elu"),
            (#"{"name": "a", "kind": "elu", "negative_slope": 0.1}"#, "negative_slope belongs to leaky_relu"),
            (#"{"name": "a", "kind": "swish"}"#, "leaky_relu")
        ] {
            try assertLayerRefused(layer, input: [4], message)
        }
    }

    /// AdaptiveAvgPool2d((3, 2)) on a 6×4 input, global average pooling (output 1, the
    /// default), a convolution dilated (2, 1) with stride (1, 2) and padding 2, and a reshape of
    /// flat features into [2, 4, 4] (torch's Unflatten; the JSON's −1 inferred) give torch's
    /// logits and input gradient in Float64; saved and read back, they compute the same.
    func testAdaptivePoolingAndDilatedConvolution() throws {
        let url = Self.file.deletingLastPathComponent().appendingPathComponent("windows.safetensors")
        let file = try SafeTensors.read(url)
        func matrix(_ name: String) throws -> Matrix<Double> { try XCTUnwrap(file.tensors[name], "no \(name)").matrix() }
        let x = try matrix("x"), direction = try matrix("direction")
        let cases = [
            ("adaptive", "pool", [4, 3, 2]), ("global", "pool", [4, 1, 1]), ("dilated", "conv", [4, 6, 3]),
            ("unflatten", "unflatten", [2, 4, 4])
        ]
        for (name, layer, shape) in cases {
            let spec = try ArchitectureSpec.decode(Data(try XCTUnwrap(file.metadata["\(name).arch"]).utf8), source: name)
            let loaded = try NetworkFile.build(spec, tensors: file.tensors, source: name)
            let again = try NetworkFile.build(NetworkFile.architecture(of: loaded), tensors: file.tensors, source: name)
            XCTAssertEqual(again.forward(x.converted(to: Float.self)), loaded.forward(x.converted(to: Float.self)), name)
            let net = loaded.converted(to: Double.self)
            XCTAssertEqual(try net.shape(of: layer), shape, name)
            let trace = net.trace(x)
            assertClose(trace[trace.count - 1].storage, try matrix("\(name).logits").storage, 1e-12, "\(name) logits")
            let gradient = net.backward(trace: trace, gradient: direction).input
            assertClose(gradient.storage, try matrix("\(name).input_grad").storage, 1e-12, "\(name) input gradient")
        }
    }

    /// Pooling and convolution windows that do not fit, or whose output would not fit the budget.
    func testBadWindowsAreRefused() throws {
        for (layer, message) in [
            (#"{"name": "p", "kind": "adaptive_avgpool2d", "output_size": [4, 2]}"#, "must divide the 6×4 input"),
            (#"{"name": "p", "kind": "adaptive_avgpool2d", "kernel": 2}"#, "not kernel or stride"),
            (#"{"name": "p", "kind": "avgpool2d", "kernel": 2, "output_size": 1}"#, "output_size belongs to adaptive_avgpool2d"),
            (#"{"name": "p", "kind": "maxpool2d", "kernel": 2, "dilation": 2}"#, "dilation on pooling layers"),
            (#"{"name": "r", "kind": "reshape", "shape": [5, -1]}"#, "does not hold the 24 values of its input [1, 6, 4]"),
            (#"{"name": "r", "kind": "reshape", "shape": [-1, -1]}"#, "one of them at most −1"),
            (#"{"name": "r", "kind": "reshape"}"#, "needs 'shape'"),
            (#"{"name": "c", "kind": "conv2d", "weight": "w", "out": 2, "kernel": 3, "dilation": 3}"#, "does not fit the 6×4 input"),
            (
                #"{"name": "c", "kind": "conv2d", "weight": "w", "out": 2, "kernel": 3, "dilation": 2, "padding": 5}"#,
                "smaller than the 5×5 span of the 3×3 kernel dilated 2×2"
            ),
            (#"{"name": "c", "kind": "conv2d", "weight": "w", "out": 2, "kernel": 3, "dilation": 0}"#, "dilation 0×0 must be positive"),
            // Found in review: a wide dilation with as much padding made a 65537² output from a 6×4
            // input, a 69 GB patch map built before any memory check.
            (
                #"{"name": "c", "kind": "conv2d", "weight": "w", "out": 1, "kernel": 2, "dilation": 65536, "padding": 65536}"#,
                "larger than 2147483647 entries"
            )
        ] {
            try assertLayerRefused(layer, input: [1, 6, 4], message)
        }
        // Within Int32 but not within the budget: a 16390 × 16388 output's patch map is 4.3 GB.
        MemoryBudget.set(1 << 30)
        defer { MemoryBudget.set(nil) }
        try assertLayerRefused(
            #"{"name": "c", "kind": "conv2d", "weight": "w", "out": 1, "kernel": 2, "dilation": 16384, "padding": 16384}"#,
            input: [1, 6, 4], "its patch map", "memory budget")
    }
}
