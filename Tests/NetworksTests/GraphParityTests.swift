import Foundation
import LinAlg
import Networks
import TensorIO
import XCTest

/// Networks that are graphs: add, mul, concat, batchnorm kept as a node (on the input, after an
/// add or a mul) and folded where it follows a convolution, grouped and depthwise convolutions,
/// permutes and an embedding, against torch forward and backward
/// (Tests/Fixtures/networks/make_graph_fixtures.py made the fixture), and the architecture
/// checks of a graph.
final class GraphParityTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/graphs.safetensors")

    private func load(_ name: String) throws -> (SafeTensorsFile, ArchitectureSpec, Network<Float>) {
        let file = try SafeTensors.read(Self.file)
        let spec = try ArchitectureSpec.decode(Data(try XCTUnwrap(file.metadata["\(name).arch"]).utf8), source: name)
        return (file, spec, try NetworkFile.build(spec, tensors: file.tensors, source: name))
    }

    func testEveryNodeGradientAndParameterGradientMatchTorch() throws {
        for name in ["resmlp", "rescnn", "grouped", "permuted", "embedded"] {
            let (file, _, loaded) = try load(name)
            XCTAssertEqual(loaded.isChain, ["grouped", "permuted", "embedded"].contains(name), name)
            func matrix(_ key: String) throws -> Matrix<Double> { try XCTUnwrap(file.tensors["\(name).\(key)"], "no \(key)").matrix() }
            let net = loaded.converted(to: Double.self)
            let x = try matrix("x")
            let trace = net.trace(x)
            // A folded batchnorm's weights are rounded to Float32 once folded: 1e-6, not 1e-12.
            for (i, layer) in net.layers.enumerated() {
                assertClose(trace[i + 1].storage, try matrix("node.\(layer.name)").storage, 1e-6, "\(name) \(layer.name)")
            }
            assertClose(trace[net.layers.count].storage, try matrix("logits").storage, 1e-6, "\(name) logits")
            let (input, parameters) = net.backward(trace: trace, gradient: try matrix("direction"))
            assertClose(input.storage, try matrix("input_grad").storage, 1e-6, "\(name) input gradient")
            // The layers that are torch's own (a folded convolution's gradient is another one's).
            let folded = name == "rescnn" ? ["conv1", "conv2", "conv3"] : []
            for slot in net.parameterSlots where !folded.contains(net.layers[slot.layer].name) {
                let key = String(slot.tensorName.dropFirst(name.count + 1))
                guard let expected = file.tensors["\(name).grad.\(key)"]?.doubles() else {
                    // Running statistics are not learned: torch has no gradient, Loupe's is zero.
                    XCTAssertTrue(key.hasSuffix("running_mean") || key.hasSuffix("running_var"), key)
                    XCTAssertEqual(parameters[slot.range].map(abs).max(), 0, key)
                    continue
                }
                assertClose(Array(parameters[slot.range]), expected, 1e-6, "\(name) gradient of \(slot.tensorName)")
            }
        }
    }

    /// The learned values are counted as torch counts `model.parameters()` (those with a
    /// gradient): a kept batchnorm's running statistics are buffers, though they travel with
    /// the weights.
    func testLearnedParametersAreCountedAsTorchCountsThem() throws {
        let (file, _, net) = try load("resmlp")
        let torch = file.tensors.filter { $0.key.hasPrefix("resmlp.grad.") }.values.reduce(0) { $0 + $1.elementCount }
        XCTAssertEqual(net.learnedParameterCount, torch)
        XCTAssertEqual(net.parameterCount, torch + 2 * 16, "the kept batchnorm's running mean and variance")
    }

    /// Folded where a batchnorm follows a convolution that feeds nothing else; kept on the
    /// input and after an add or a mul.
    func testBatchnormsAreFoldedOnlyWhereTheyCanBe() throws {
        let (_, _, cnn) = try load("rescnn")
        XCTAssertEqual(cnn.layers.filter { $0.operation.kind == "batchnorm" }.map(\.name), ["bn0", "bn4"])
        XCTAssertEqual(cnn.layers.map(\.name).filter { $0.hasPrefix("bn") }, ["bn0", "bn4"])
        // A layer that read the folded batchnorm reads the convolution it was folded into.
        XCTAssertEqual(
            cnn.inputIndices(of: try cnn.traceIndex(of: "add2") - 1), [try cnn.traceIndex(of: "relu1"), try cnn.traceIndex(of: "conv3")])
        let (_, _, mlp) = try load("resmlp")
        XCTAssertEqual(mlp.layers.filter { $0.operation.kind == "batchnorm" }.map(\.name), ["bn"])
    }

    /// Saved with its architecture (inputs by name) and read back, a graph computes the same;
    /// listed in any order, its layers run in an order where each follows its inputs.
    func testGraphsSurviveSavingAndAnyListedOrder() throws {
        for name in ["resmlp", "rescnn", "grouped", "permuted", "embedded"] {
            let (file, spec, net) = try load(name)
            let x: Matrix<Float> = try XCTUnwrap(file.tensors["\(name).x"]).matrix()
            let expected = net.forward(x)
            let saved = NetworkFile.architecture(of: net)
            XCTAssertEqual(try NetworkFile.build(saved, tensors: NetworkFile.tensors(of: net), source: name).forward(x), expected, name)
            // Every input spelled out, then the list shuffled.
            var explicit = spec
            for k in explicit.layers.indices where explicit.layers[k].inputs == nil {
                explicit.layers[k].inputs = [k == 0 ? "input" : explicit.layers[k - 1].name]
            }
            var rng = SeededRandom(seed: 7)
            for _ in 0..<3 {
                var shuffled = explicit
                shuffled.layers = explicit.layers.indices.map { ($0, rng.uniform(0, 1)) }.sorted { $0.1 < $1.1 }.map {
                    explicit.layers[$0.0]
                }
                let rebuilt = try NetworkFile.build(shuffled, tensors: file.tensors, source: name)
                XCTAssertEqual(rebuilt.forward(x), expected, name)
            }
        }
    }

    /// The rest of the network runs from a cut (everything after it reads nothing before it),
    /// and nothing else is one.
    func testCutsOfAResidualNetwork() throws {
        let (file, _, net) = try load("rescnn")
        let x: Matrix<Float> = try XCTUnwrap(file.tensors["rescnn.x"]).matrix()
        let trace = net.trace(x)
        let cuts = (0...net.layers.count).filter { net.isCut($0) }.map(net.activationName(at:))
        // Inside the block (relu2, conv3) the add still reads relu1; conv4's output is read by
        // cat beside relu3.
        XCTAssertEqual(cuts, ["input", "bn0", "conv1", "relu1", "add2", "bn4", "relu3", "cat", "pool", "flatten", "fc"])
        let relu3 = try net.traceIndex(of: "relu3")
        XCTAssertEqual(net.forward(from: relu3, trace[relu3]), trace.last)
        XCTAssertEqual(net.forward(x, to: relu3), trace[relu3])
    }

    func testBadGraphsAreRefusedInOneLine() throws {
        let fc = #"{"name": "fc", "kind": "linear", "out": 4, "weight": "w", "bias": "b"}"#
        func refused(_ layers: [String], input: [Int] = [4], _ message: String, line: UInt = #line) throws {
            let json =
                #"{"format": "loupe.arch/1", "name": "m", "input": {"shape": \#(input)}, "layers": [\#(layers.joined(separator: ","))]}"#
            let spec = try ArchitectureSpec.decode(Data(json.utf8), source: "m.json")
            XCTAssertThrowsError(try NetworkFile.untrained(spec, seed: 1), line: line) {
                XCTAssertTrue("\($0)".contains(message), "\($0)", line: line)
                XCTAssertFalse("\($0)".contains("\n"), line: line)
            }
        }
        try refused(
            [#"{"name": "a", "kind": "relu", "inputs": ["b"]}"#, #"{"name": "b", "kind": "relu", "inputs": ["a"]}"#],
            "architecture: the layers form a cycle ('a' reads 'b', 'b' reads 'a')")
        try refused([#"{"name": "a", "kind": "relu", "inputs": ["a"]}"#], "cycle ('a' reads 'a')")
        try refused(
            [fc, #"{"name": "s", "kind": "add", "inputs": ["fc", "fc2"]}"#], "layer 's' reads 'fc2', which is neither 'input' nor a layer")
        try refused([fc, #"{"name": "s", "kind": "add", "inputs": []}"#], "layer 's' has an empty \"inputs\" list")
        try refused([fc, #"{"name": "s", "kind": "add", "inputs": ["fc"]}"#], "layer 's' (add) needs two or more inputs")
        try refused([fc, #"{"name": "g", "kind": "mul", "inputs": ["fc", "fc", "input"]}"#], "layer 'g' (mul) needs two inputs")
        try refused(
            [#"{"name": "fc", "kind": "linear", "out": 3, "weight": "w"}"#, #"{"name": "s", "kind": "add", "inputs": ["fc", "input"]}"#],
            "layer 's' (add) needs inputs of one shape, got [3], [4]")
        try refused(
            [
                #"{"name": "c", "kind": "conv2d", "out": 2, "kernel": 3, "weight": "w"}"#,
                #"{"name": "j", "kind": "concat", "inputs": ["c", "input"]}"#
            ],
            input: [1, 5, 5], "layer 'j' (concat) joins inputs along their first axis, so the rest must agree; got [2, 3, 3], [1, 5, 5]")
        try refused(
            [fc, #"{"name": "r", "kind": "relu", "inputs": ["fc", "input"]}"#], "layer 'r' (relu) takes one input, but \"inputs\" names 2")
    }

    /// A batchnorm normalising by its batch, as torch's `model.train()`: forward, backward
    /// (through the batch's mean and variance) and the running statistics after the batch.
    func testBatchnormInTrainingMatchesTorch() throws {
        let file = try SafeTensors.read(Self.file)
        func tensor(_ key: String) throws -> Tensor { try XCTUnwrap(file.tensors["bntrain.\(key)"], "no \(key)") }
        var conv = LayerSpec(name: "conv", kind: "conv2d", weight: "bntrain.0.weight")
        (conv.out, conv.kernel, conv.padding) = (3, IntPair(3), IntPair(1))
        var bn = LayerSpec(name: "bn", kind: "batchnorm2d", weight: "bntrain.1.weight", bias: "bntrain.1.bias")
        (bn.runningMean, bn.runningVar) = ("bntrain.1.running_mean", "bntrain.1.running_var")
        var fc = LayerSpec(name: "fc", kind: "linear", weight: "bntrain.4.weight", bias: "bntrain.4.bias")
        fc.out = 3
        let spec = ArchitectureSpec(
            name: "bntrain", input: InputSpec(shape: [2, 4, 4]),
            layers: [conv, bn, LayerSpec(name: "relu", kind: "relu"), LayerSpec(name: "flatten", kind: "flatten"), fc])
        // Built for training, the batchnorm stays a layer; its statistics start where torch's did.
        var net = try NetworkFile.untrained(spec, seed: 1).converted(to: Double.self)
        XCTAssertEqual(net.layers.map { $0.operation.kind }, ["conv2d", "batchnorm", "relu", "flatten", "linear"])
        let before = ["bntrain.1.running_mean": "before.running_mean", "bntrain.1.running_var": "before.running_var"]
        net.setFlatParameters(
            try net.parameterSlots.flatMap { try tensor(before[$0.tensorName] ?? String($0.tensorName.dropFirst(8))).doubles() })
        net.useBatchStatistics(true)
        let x: Matrix<Double> = try tensor("x").matrix()
        let trace = net.trace(x)
        assertClose(trace.last!.storage, try tensor("logits").doubles(), 1e-10, "logits")
        let (input, parameters) = net.backward(trace: trace, gradient: try tensor("direction").matrix())
        assertClose(input.storage, try tensor("input_grad").doubles(), 1e-10, "input gradient")
        for slot in net.parameterSlots where !slot.role.hasPrefix("running") {
            let key = String(slot.tensorName.dropFirst(8))
            assertClose(Array(parameters[slot.range]), try tensor("grad.\(key)").doubles(), 1e-10, "gradient of \(key)")
        }
        net.updateRunningStatistics(trace: trace)
        let after = net.flatParameters
        for slot in net.parameterSlots where slot.role.hasPrefix("running") {
            assertClose(Array(after[slot.range]), try tensor(String(slot.tensorName.dropFirst(8))).doubles(), 1e-12, slot.tensorName)
        }
    }

    func testBadPermutesAreRefused() throws {
        try assertLayerRefused(
            #"{"name": "p", "kind": "permute", "dims": [1, 0, 2, 3]}"#, input: [2, 3, 4],
            "a permutation of 0…3 starting with the batch axis 0")
        try assertLayerRefused(#"{"name": "p", "kind": "permute", "dims": [0, 1, 1]}"#, input: [2, 3], "needs 'dims'")
        try assertLayerRefused(#"{"name": "p", "kind": "permute"}"#, input: [2, 3], "needs 'dims'")
    }

    /// torch's limits on pooling padding (torchvision's ResNet stem pads its max-pooling by one;
    /// Tests/InterpretTests/Attribution/ResNetParityTests.swift holds it to torch).
    func testPoolingPaddingIsCheckedAsTorchChecksIt() throws {
        try assertLayerRefused(
            #"{"name": "p", "kind": "maxpool2d", "kernel": 3, "padding": 2}"#, input: [1, 6, 6], "at most half the 3×3 kernel")
        try assertLayerRefused(
            #"{"name": "p", "kind": "avgpool2d", "kernel": 2, "padding": 1}"#, input: [1, 6, 6], "padding on average pooling")
        // A window hanging over the edge takes the largest input it covers, negative or not.
        let json =
            #"{"format": "loupe.arch/1", "name": "m", "input": {"shape": [1, 2, 2]}, "layers": [{"name": "p", "kind": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1}]}"#
        let net = try NetworkFile.untrained(try ArchitectureSpec.decode(Data(json.utf8), source: "m"), seed: 1)
        XCTAssertEqual(net.forward(Matrix([[-4, -3, -2, -1]])), Matrix([[-1]]))
    }

    /// Two branches of one stream: the gradient of the input is the sum of both paths' (a
    /// hand-computed case: y = relu(x) + 2x at x = (−1, 3) has dy/dx = (2, 3)).
    func testGradientsOfABranchingStreamAdd() throws {
        var scale = LayerSpec(name: "double", kind: "linear", weight: "w")
        scale.inputs = ["input"]
        let spec = ArchitectureSpec(
            name: "m", input: InputSpec(shape: [2]),
            layers: [
                LayerSpec(name: "relu", kind: "relu"), scale,
                {
                    var s = LayerSpec(name: "sum", kind: "add"); s.inputs = ["relu", "double"]; return s
                }()
            ])
        let net = try NetworkFile.build(spec, tensors: ["w": Tensor([2, 0, 0, 2] as [Float], shape: [2, 2])], source: "m")
        let x = Matrix<Float>([[-1, 3]])
        XCTAssertEqual(net.forward(x), Matrix([[-2, 9]]))
        XCTAssertEqual(net.backward(trace: net.trace(x), gradient: Matrix([[1, 1]])).input, Matrix([[2, 3]]))
    }
}
