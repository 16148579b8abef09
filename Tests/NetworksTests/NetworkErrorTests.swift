import Foundation
import LinAlg
import Networks
import TensorIO
import XCTest

/// Every way a network or data set can be wrong gives a message naming the layer, the tensor
/// and the expected and actual shapes.
final class NetworkErrorTests: XCTestCase {
    let input = InputSpec(shape: [4])

    func build(_ layers: [LayerSpec], tensors: [String: Tensor], input: InputSpec? = nil) throws -> Network<Float> {
        try NetworkFile.build(
            ArchitectureSpec(name: "t", input: input ?? self.input, layers: layers), tensors: tensors, source: "model.safetensors")
    }

    func zeros(_ shape: [Int]) -> Tensor { Tensor([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape) }

    func assertMessage(
        _ body: @autoclosure () throws -> Any, contains parts: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for p in parts { XCTAssertTrue(text.contains(p), "'\(p)' not in: \(text)", file: file, line: line) }
        }
    }

    let fc = LayerSpec(name: "fc", kind: "linear", weight: "fc.weight", bias: "fc.bias")

    func testMissingTensor() {
        assertMessage(
            try build([fc], tensors: ["fc.weight": zeros([3, 4])]),
            contains: ["model.safetensors", "layer 'fc'", "tensor 'fc.bias' is missing"])
    }

    func testWrongWeightShape() {
        assertMessage(
            try build([fc], tensors: ["fc.weight": zeros([3, 5]), "fc.bias": zeros([3])]),
            contains: ["layer 'fc' (linear)", "'fc.weight'", "[3, 5]", "expected [out, 4]"])
    }

    func testWrongBiasShape() {
        assertMessage(
            try build([fc], tensors: ["fc.weight": zeros([3, 4]), "fc.bias": zeros([4])]),
            contains: ["'fc.bias'", "[4]", "expected [3]"])
    }

    func testUnknownKind() {
        assertMessage(
            try build([LayerSpec(name: "x", kind: "lstm")], tensors: [:]),
            contains: ["layer 'x'", "unknown kind 'lstm'", "linear"])
    }

    func testSoftmaxMustBeLast() {
        assertMessage(
            try build([LayerSpec(name: "s", kind: "softmax"), LayerSpec(name: "r", kind: "relu")], tensors: [:]),
            contains: ["softmax 's' must be the last layer", "'r'"])
    }

    /// A batchnorm with nothing to fold into (first, or after a relu) is kept as a node; its
    /// tensors are then checked like any layer's.
    func testBatchnormThatCannotBeFoldedIsANode() throws {
        var bn = LayerSpec(name: "bn", kind: "batchnorm", weight: "bn.weight", bias: "bn.bias")
        bn.runningMean = "bn.running_mean"; bn.runningVar = "bn.running_var"
        let ones = Tensor([Float](repeating: 1, count: 3), shape: [3])
        let tensors = ["bn.weight": ones, "bn.bias": ones, "bn.running_mean": ones, "bn.running_var": ones]
        for layers in [[bn], [LayerSpec(name: "r", kind: "relu"), bn]] {
            let net = try build(layers, tensors: tensors, input: InputSpec(shape: [3]))
            XCTAssertEqual(net.layers.last?.operation.kind, "batchnorm")
        }
        assertMessage(
            try build(
                [bn], tensors: tensors.merging(["bn.running_var": Tensor([1, -2, 1] as [Float], shape: [3])]) { $1 },
                input: InputSpec(shape: [3])),
            contains: ["layer 'bn' (batchnorm)", "running_var + eps must be positive"])
        assertMessage(try build([bn], tensors: [:], input: InputSpec(shape: [3])), contains: ["tensor 'bn.running_var' is missing"])
    }

    func testLinearAfterConvolutionNeedsFlatten() {
        var c = LayerSpec(name: "c", kind: "conv2d", weight: "c.weight")
        c.padding = IntPair(1)
        assertMessage(
            try build(
                [c, fc], tensors: ["c.weight": zeros([2, 1, 3, 3]), "fc.weight": zeros([3, 32]), "fc.bias": zeros([3])],
                input: InputSpec(shape: [1, 4, 4])),
            contains: ["layer 'fc'", "flat input", "[2, 4, 4]", "flatten"])
    }

    func testConvolutionChannelMismatchAndKernelTooLarge() {
        let c = LayerSpec(name: "c", kind: "conv2d", weight: "c.weight")
        let image = InputSpec(shape: [1, 4, 4])
        assertMessage(
            try build([c], tensors: ["c.weight": zeros([2, 3, 3, 3])], input: image),
            contains: ["layer 'c' (conv2d)", "[2, 3, 3, 3]", "expected [out, 1, kh, kw]"])
        assertMessage(
            try build([c], tensors: ["c.weight": zeros([2, 1, 5, 5])], input: image),
            contains: ["layer 'c'", "does not fit the 4×4 input"])
    }

    func testNonFiniteWeightsAndWrongDtype() {
        assertMessage(
            try build([fc], tensors: ["fc.weight": Tensor([Float](repeating: .nan, count: 12), shape: [3, 4]), "fc.bias": zeros([3])]),
            contains: ["'fc.weight'", "NaN"])
        assertMessage(
            try build([fc], tensors: ["fc.weight": Tensor([Int64](repeating: 0, count: 12), shape: [3, 4]), "fc.bias": zeros([3])]),
            contains: ["'fc.weight'", "dtype I64", "float"])
    }

    func testDuplicateAndReservedNames() {
        assertMessage(
            try build([LayerSpec(name: "r", kind: "relu"), LayerSpec(name: "r", kind: "relu")], tensors: [:]),
            contains: ["repeated or reserved name 'r'"])
        assertMessage(try build([LayerSpec(name: "input", kind: "relu")], tensors: [:]), contains: ["'input'"])
    }

    func testBadArchitectureJSON() {
        assertMessage(try ArchitectureSpec.decode(Data("{".utf8), source: "a.json"), contains: ["a.json", "not valid JSON"])
        assertMessage(
            try ArchitectureSpec.decode(Data(#"{"format":"loupe.arch/1","name":"n","layers":[]}"#.utf8), source: "a.json"),
            contains: ["a.json", "missing field 'input'"])
        assertMessage(
            try ArchitectureSpec.decode(Data(#"{"format":"other","name":"n","input":{"shape":[1]},"layers":[]}"#.utf8), source: "a.json"),
            contains: ["'other'", "loupe.arch/1"])
        assertMessage(
            try ArchitectureSpec.decode(
                Data(
                    #"{"format":"loupe.arch/1","name":"n","input":{"shape":[1]},"layers":[{"name":"a","kind":"conv2d","stride":[1,2,3]}]}"#
                        .utf8), source: "a.json"),
            contains: ["layers[0].stride"])
    }

    func testFileWithoutArchitecture() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("noarch-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write(SafeTensorsFile(tensors: ["w": zeros([2, 2])]), to: url)
        assertMessage(try NetworkFile.load(url), contains: [url.lastPathComponent, "loupe.arch", "--arch"])
        assertMessage(try Models.load("/nonexistent/model.safetensors"), contains: ["no such model file"])
        assertMessage(try Models.load("demo:nope"), contains: ["unknown demo model 'demo:nope'", "demo:mlp-1"])
    }

    /// Data given where the model goes is named as data, not reported as a corrupt model.
    func testDataFileGivenAsAModel() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("acts-\(UUID()).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPY.write(Tensor([Float](repeating: 0, count: 8), shape: [2, 4]), to: url)
        assertMessage(try Models.load(url.path), contains: [url.lastPathComponent, ".npy file holds data, not a model", "--data"])
        // An architecture alone has no weights.
        let arch = FileManager.default.temporaryDirectory.appendingPathComponent("net-\(UUID()).arch.json")
        defer { try? FileManager.default.removeItem(at: arch) }
        try Data(ArchitectureSpec(name: "n", input: InputSpec(shape: [4]), layers: [fc]).encoded().utf8).write(to: arch)
        assertMessage(try Models.load(arch.path), contains: [arch.lastPathComponent, "has no weights", "--arch \(arch.lastPathComponent)"])
    }

    func testDataMismatch() throws {
        let net = try build([fc], tensors: ["fc.weight": zeros([3, 4]), "fc.bias": zeros([3])])
        let wide = Dataset(name: "acts.npy", x: Matrix(rows: 2, cols: 5), labels: nil, sampleShape: [5])
        assertMessage(try wide.check(against: net), contains: ["'acts.npy'", "5 values", "expects input [4]"])
        let badLabel = Dataset(name: "d.csv", x: Matrix(rows: 2, cols: 4), labels: [0, 7], sampleShape: [4])
        assertMessage(try badLabel.check(against: net), contains: ["label 7", "3 outputs"])
        assertMessage(try DataSource.load("builtin:mnist"), contains: ["unknown built-in data", "builtin:digits"])
        assertMessage(try DataSource.load("builtin:digits:val"), contains: ["unknown split"])
        assertMessage(try DataSource.load("/nope.npy"), contains: ["no such data file"])
    }

    func testShortSpecErrors() {
        assertMessage(try ShortSpec.parse("mlp"), contains: ["expected KIND:SIZES"])
        assertMessage(try ShortSpec.parse("mlp:64-x-10"), contains: ["'x' is not a positive size"])
        assertMessage(try ShortSpec.parse("cnn:8x8-c16-10"), contains: ["C×H×W"])
        assertMessage(try ShortSpec.parse("cnn:1x8x8-c16-q2-10"), contains: ["'q2'"])
        assertMessage(try ShortSpec.parse("rnn:1-2"), contains: ["unknown kind 'rnn'"])
        assertMessage(try ShortSpec.parse("cnn:1x8x8-c16-r-10"), contains: ["'r' is not cN, cNkK, pK, aK, g or a linear size"])
        assertMessage(try ShortSpec.parse("resnet:1x8x8-r-10"), contains: ["'r' needs a convolution before it"])
    }

    /// A residual block reads the layer before it twice: through its convolutions, and added.
    func testResNetShortSpec() throws {
        let spec = try ShortSpec.parse("resnet:1x8x8-c4-r-g-10")
        XCTAssertEqual(
            spec.layers.map(\.name),
            [
                "conv1", "bn1", "relu1", "block1.conv1", "block1.bn1", "block1.relu1", "block1.conv2", "block1.bn2", "block1.add",
                "block1.relu2", "gap", "flatten", "fc1"
            ])
        XCTAssertEqual(spec.layers[3].inputs, ["relu1"])
        XCTAssertEqual(spec.layers[8].inputs, ["relu1", "block1.bn2"])
        XCTAssertEqual(spec.layers[0].bias, nil, "a convolution before a batchnorm has no bias")
        let net = try NetworkFile.untrained(spec, seed: 1)
        XCTAssertEqual(net.layers.filter { $0.operation.kind == "batchnorm" }.count, 3, "kept for training")
        XCTAssertEqual(net.outputSize, 10)
    }
}
