import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// torchvision's resnet18 (random weights, 3×32×32 inputs) against torch and Zennit
/// (Tests/Fixtures/networks/make_resnet_fixtures.py): its logits and every block's output, and
/// LRP with three of Zennit's composites under its ResNet canonizer.
final class ResNetParityTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/resnet18.safetensors")

    /// The fixture script's weights: u in [0, 1) from a hash of the tensor's name and index.
    static func uniforms(_ name: String, _ count: Int) -> [Double] {
        var k: UInt64 = 0x811C_9DC5
        for b in name.utf8 { k = ((k ^ UInt64(b)) &* 0x0100_0193) & 0xFFFF_FFFF }
        return (0..<count).map { i in
            var x = (UInt64(i) &* 2_654_435_761 &+ k) & 0xFFFF_FFFF
            x ^= x >> 13
            x = (x &* 1_274_126_177) & 0xFFFF_FFFF
            x ^= x >> 16
            return Double(x) / 4_294_967_296
        }
    }

    /// Every tensor of the model, made as the fixture script makes them.
    static func weights(shapes: [String: [Int]]) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, shape) in shapes {
            let count = shape.reduce(1, *)
            let u = uniforms(name, count)
            let prefix = String(name[..<name.lastIndex(of: ".")!])
            let role = String(name[name.index(after: name.lastIndex(of: ".")!)...])
            let values: [Double]
            if shapes["\(prefix).running_var"] != nil {
                let sigma = uniforms("\(prefix).running_var", count).map { [0.5, 1, 2][Int(3 * $0)] }
                switch role {
                case "weight": values = zip(u, sigma).map { [0.5, 1, 2, -1][Int(4 * $0)] * $1 }
                case "bias": values = u.map { 0.6 * $0 - 0.3 }
                case "running_mean": values = u.map { 0.4 * $0 - 0.2 }
                default: values = sigma.map { $0 * $0 }
                }
            } else {
                let fanIn = shapes["\(prefix).weight"]!.dropFirst().reduce(1, *)
                values = u.map { (2 * $0 - 1) / Double(fanIn).squareRoot() }
            }
            tensors[name] = Tensor(values.map { Float($0) }, shape: shape)
        }
        return tensors
    }

    /// The fixture, and the network built from the architecture the script wrote with the
    /// weights made here (or from Loupe's own `TorchvisionResNet.resnet18`).
    private func load(builtIn: Bool = false) throws -> (SafeTensorsFile, Network<Float>) {
        let file = try SafeTensors.read(Self.file)
        let shapes = try JSONDecoder().decode([String: [Int]].self, from: Data(try XCTUnwrap(file.metadata["tensors"]).utf8))
        var spec = try ArchitectureSpec.decode(Data(try XCTUnwrap(file.metadata["loupe.arch"]).utf8), source: "resnet18")
        if builtIn {
            let range = spec.input.range
            spec = TorchvisionResNet.resnet18(classes: 10, input: [3, 32, 32], batchnormEps: 0)
            spec.input.range = range
        }
        return (file, try NetworkFile.build(spec, tensors: Self.weights(shapes: shapes), source: "resnet18"))
    }

    /// Loupe's own description of torchvision's resnet18 opens its state_dict and computes the same.
    func testBuiltInArchitectureIsTorchvisions() throws {
        let (file, net) = try load()
        let (_, builtIn) = try load(builtIn: true)
        let x: Matrix<Float> = try XCTUnwrap(file.tensors["x"]).matrix()
        XCTAssertEqual(builtIn.layers.map(\.name), net.layers.map(\.name))
        XCTAssertEqual(builtIn.forward(x), net.forward(x))
    }

    /// |a − b| ≤ tolerance · max|b| over the whole array.
    private func assertClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        let scale = b.map(abs).max() ?? 0
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(what): worst difference \(worst), largest value \(scale)")
    }

    func testLogitsAndEveryBlockMatchTorch() throws {
        let (file, net) = try load()
        let x: Matrix<Float> = try XCTUnwrap(file.tensors["x"]).matrix()
        let blocks = (1...4).flatMap { stage in (0...1).map { "layer\(stage).\($0)" } }
        let captured = try net.forward(x, capturing: blocks + ["logits"])
        for name in blocks {
            assertClose(
                try XCTUnwrap(captured[name]).storage.map(Double.init), try XCTUnwrap(file.tensors["block.\(name)"]).doubles(), 1e-4, name)
        }
        assertClose(
            try XCTUnwrap(captured["logits"]).storage.map(Double.init), try XCTUnwrap(file.tensors["logits"]).doubles(), 1e-4, "logits")
        // Every batchnorm was folded into the convolution before it, as Zennit merges them.
        XCTAssertFalse(net.layers.contains { $0.operation.kind == "batchnorm" })
        XCTAssertEqual(net.layers.filter { $0.operation.kind == "add" }.count, 8)
    }

    /// The same network exported by torch.onnx.export (TorchScript exporter, batchnorms kept),
    /// its weights stored apart as torch stores a large model's: written here from the hash
    /// beside the committed graph, then opened as every command opens a .onnx.
    func testONNXExportComputesTorchsLogitsAndZennitsRelevance() throws {
        let file = try SafeTensors.read(Self.file)
        let shapes = try JSONDecoder().decode([String: [Int]].self, from: Data(try XCTUnwrap(file.metadata["tensors"]).utf8))
        let folder = Self.file.deletingLastPathComponent().appendingPathComponent("onnx")
        struct External: Decodable {
            let location: String
            let tensors: [[ExternalEntry]]
        }
        enum ExternalEntry: Decodable {
            case name(String), offset(Int)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let n = try? c.decode(Int.self) { self = .offset(n) } else { self = .name(try c.decode(String.self)) }
            }
        }
        let layout = try JSONDecoder().decode(
            External.self, from: Data(contentsOf: folder.appendingPathComponent("resnet18-external.json")))
        let weights = Self.weights(shapes: shapes)
        var bytes = Data()
        for entry in layout.tensors {
            guard case .name(let name) = entry[0], case .offset(let offset) = entry[1] else { return XCTFail("bad layout entry") }
            let t = try XCTUnwrap(weights[name], name)
            if bytes.count < offset + t.bytes.count { bytes.append(Data(count: offset + t.bytes.count - bytes.count)) }
            bytes.replaceSubrange(offset..<(offset + t.bytes.count), with: t.bytes)
        }
        let dir = try temporaryDirectory(self)
        try bytes.write(to: dir.appendingPathComponent(layout.location))
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("resnet18.onnx"), to: dir.appendingPathComponent("resnet18.onnx"))
        var net = try NetworkFile.load(dir.appendingPathComponent("resnet18.onnx"))
        XCTAssertEqual(net.layers.filter { $0.operation.kind == "add" }.count, 8)
        XCTAssertFalse(net.layers.contains { $0.operation.kind == "batchnorm" }, "folded into the convolutions")
        let x: Matrix<Float> = try XCTUnwrap(file.tensors["x"]).matrix()
        assertClose(net.forward(x).storage.map(Double.init), try XCTUnwrap(file.tensors["logits"]).doubles(), 1e-4, "logits from ONNX")
        // Each block's output is its second ReLU, named by torch's module path.
        let blocks = (1...4).flatMap { stage in (0...1).map { "layer\(stage).\($0)" } }
        let captured = try net.forward(x, capturing: blocks.map { "\($0.split(separator: ".")[0])/\($0)/relu_1/Relu" })
        for block in blocks {
            let output = try XCTUnwrap(captured["\(block.split(separator: ".")[0])/\(block)/relu_1/Relu"], block)
            assertClose(
                output.storage.map(Double.init), try XCTUnwrap(file.tensors["block.\(block)"]).doubles(), 1e-4, "\(block) from ONNX")
        }
        net.input.range = [-1, 1]
        let lrp = try LRP(network: net.converted(to: Double.self), configuration: LRPConfiguration(composite: .epsilonPlus))
        assertClose(
            try lrp.explain(x.converted(to: Double.self), target: .predicted).relevance.storage,
            try XCTUnwrap(file.tensors["relevance.epsilon-plus"]).doubles(), 1e-4, "epsilon-plus from ONNX")
        // Without its weights file the model is refused, naming where it looked.
        try FileManager.default.removeItem(at: dir.appendingPathComponent(layout.location))
        XCTAssertThrowsError(try NetworkFile.load(dir.appendingPathComponent("resnet18.onnx"))) {
            XCTAssertTrue("\($0)".contains("resnet18.weights, which cannot be read"), "\($0)")
        }
    }

    /// Relevance equal to Zennit's for EpsilonPlus, EpsilonGammaBox and EpsilonAlpha2Beta1 with
    /// its ResNetCanonizer (the add's Norm rule is Zennit's on the Sum the canonizer inserts).
    func testLRPMatchesZennitsResNetCanonizer() throws {
        let (file, net) = try load()
        let x: Matrix<Double> = try XCTUnwrap(file.tensors["x"]).matrix()
        let targets = try XCTUnwrap(file.tensors["targets"]).doubles().map { Int($0) }
        let lrp64 = net.converted(to: Double.self)
        for composite in ["epsilon-plus", "epsilon-gamma-box", "alpha2-beta1"] {
            let lrp = try LRP(network: lrp64, configuration: LRPConfiguration(composite: try LRPComposite.parse(composite)))
            let batch = try lrp.explain(x, target: .predicted)
            XCTAssertEqual(batch.classes, targets)
            assertClose(batch.relevance.storage, try XCTUnwrap(file.tensors["relevance.\(composite)"]).doubles(), 1e-4, composite)
        }
    }
}
